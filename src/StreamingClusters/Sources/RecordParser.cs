namespace StreamingClusters.Sources;

/// <summary>
/// Turns one line of a line-oriented format into the values of a point, or into the reason it
/// cannot be one. One instance per run of a source: it keeps what the header said, and reuses its
/// value buffer, so a good record allocates nothing.
/// </summary>
internal abstract class RecordParser
{
    /// <summary>Gets the values of the line last parsed without a problem; valid until the next parse.</summary>
    public abstract ReadOnlySpan<float> Values { get; }

    /// <summary>
    /// Offered the first line that is not blank (valid UTF-8): says whether it is a header rather than
    /// a record, and takes from it what the format needs (column names).
    /// </summary>
    /// <param name="line">The line's bytes, without its terminator.</param>
    /// <returns><see langword="true"/> when the line is a header, not a record.</returns>
    /// <exception cref="InvalidOperationException">The configured columns do not fit the header.</exception>
    public virtual bool TryReadHeader(ReadOnlySpan<byte> line) => false;

    /// <summary>
    /// Gets the names of a record's values, in order, once the format knows them (a header has been read,
    /// or the settings name the fields); null when nothing names them.
    /// </summary>
    public virtual IReadOnlyList<string>? ColumnNames => null;

    /// <summary>
    /// Tries a quick read of a line after the header: when it returns <see langword="true"/>, the line
    /// gave <see cref="Values"/> exactly as <see cref="Parse"/> would have. When it returns
    /// <see langword="false"/>, nothing is said about the line: call <see cref="Parse"/>, which also
    /// checks everything else (blank, UTF-8) that the quick read assumes.
    /// </summary>
    /// <param name="line">The line's bytes, without its terminator, after the header was decided.</param>
    /// <returns>Whether the line gave values.</returns>
    public virtual bool TryParsePlain(ReadOnlySpan<byte> line) => false;

    /// <summary>Parses one line into <see cref="Values"/>.</summary>
    /// <param name="line">The line's bytes (valid UTF-8, not blank), without its terminator.</param>
    /// <returns><see langword="null"/> when it gave values, else why it did not, in words.</returns>
    public abstract string? Parse(ReadOnlySpan<byte> line);
}
