namespace StreamingClusters.Ingest;

/// <summary>A record that could not become a point, as the dead-letter sink receives it.</summary>
/// <param name="Source">The source's name.</param>
/// <param name="Record">The record's number in the source, from 1 (a line number for line formats).</param>
/// <param name="Reason">Why it was rejected, in words.</param>
/// <param name="Raw">The record's text, cut to a bounded length.</param>
public readonly record struct RejectedRecord(string Source, long Record, string Reason, string Raw)
{
    /// <summary>Gets the named model whose source rejected the record, or null for the model of the top-level settings.</summary>
    public string? Model { get; init; }
}
