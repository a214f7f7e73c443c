using StreamingClusters.Ingest;

namespace StreamingClusters.Sinks;

/// <summary>
/// Receives every record that could not become a point. Called from any source's thread; an
/// implementation must be thread-safe and must not block for long.
/// </summary>
public interface IDeadLetterSink
{
    /// <summary>Records a rejection.</summary>
    /// <param name="record">The rejected record.</param>
    void Write(in RejectedRecord record);

    /// <summary>Makes what was written durable (called at shutdown and periodically).</summary>
    /// <param name="cancellationToken">Cancels the flush.</param>
    /// <returns>A task that completes when written.</returns>
    Task FlushAsync(CancellationToken cancellationToken);
}
