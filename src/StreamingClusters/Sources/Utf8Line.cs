namespace StreamingClusters.Sources;

/// <summary>One line as <see cref="Utf8LineReader"/> hands it out: valid until the reader's next call.</summary>
internal readonly ref struct Utf8Line
{
    /// <summary>Creates a line.</summary>
    /// <param name="text">The line's bytes without its terminator; for a line that is too long, its first bytes.</param>
    /// <param name="number">The line's number in the stream, from 1.</param>
    /// <param name="length">The line's whole length in bytes, without its terminator.</param>
    /// <param name="endPosition">The stream offset just past the line and its terminator.</param>
    /// <param name="isTooLong">Whether the line is longer than the reader's limit.</param>
    public Utf8Line(ReadOnlySpan<byte> text, long number, long length, long endPosition, bool isTooLong)
    {
        Text = text;
        Number = number;
        Length = length;
        EndPosition = endPosition;
        IsTooLong = isTooLong;
    }

    /// <summary>Gets the line's bytes without its terminator (LF or CRLF); for a line that is too long, only its first bytes.</summary>
    public ReadOnlySpan<byte> Text { get; }

    /// <summary>Gets the line's number in the stream, from 1 (blank lines count).</summary>
    public long Number { get; }

    /// <summary>Gets the line's whole length in bytes, without its terminator.</summary>
    public long Length { get; }

    /// <summary>Gets the stream offset just past the line and its terminator: where to resume after it.</summary>
    public long EndPosition { get; }

    /// <summary>Gets a value indicating whether the line is longer than the limit; <see cref="Text"/> is then a prefix.</summary>
    public bool IsTooLong { get; }
}
