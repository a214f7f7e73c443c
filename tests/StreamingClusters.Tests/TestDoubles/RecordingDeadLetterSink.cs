using System.Collections.Concurrent;
using StreamingClusters.Ingest;
using StreamingClusters.Sinks;

namespace StreamingClusters.Tests.TestDoubles;

/// <summary>Keeps every rejected record in memory.</summary>
internal sealed class RecordingDeadLetterSink : IDeadLetterSink
{
    public ConcurrentQueue<RejectedRecord> Records { get; } = new();

    public void Write(in RejectedRecord record) => Records.Enqueue(record);

    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
