using StreamingClusters.Ingest;
using StreamingClusters.Sinks;

namespace StreamingClusters.Tests.Sinks;

/// <summary>A dead-letter sink that keeps what it receives, for tests; <see cref="OnWrite"/> lets a test act at a rejection.</summary>
internal sealed class CollectingDeadLetterSink : IDeadLetterSink
{
    private readonly Lock _lock = new();
    private readonly List<RejectedRecord> _records = [];

    public Action<RejectedRecord>? OnWrite { get; set; }

    public IReadOnlyList<RejectedRecord> Records
    {
        get
        {
            lock (_lock)
            {
                return [.. _records];
            }
        }
    }

    public void Write(in RejectedRecord record)
    {
        lock (_lock)
        {
            _records.Add(record);
        }

        OnWrite?.Invoke(record);
    }

    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
