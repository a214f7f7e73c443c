using StreamingClusters.Ingest;
using StreamingClusters.Sinks;

namespace StreamingClusters.Worker;

/// <summary>
/// Passes rejected records on to the configured dead-letter sink and keeps the first one, so that a run
/// in which every record was rejected can say why and hint at the switch that fixes it.
/// </summary>
internal sealed class RejectionSample : IDeadLetterSink, IDisposable, IAsyncDisposable
{
    private readonly IDeadLetterSink _inner;
    private readonly Lock _gate = new();
    private RejectedRecord? _first;

    public RejectionSample(IDeadLetterSink inner)
    {
        _inner = inner;
    }

    /// <summary>Gets the first record rejected, if any.</summary>
    public RejectedRecord? First
    {
        get
        {
            lock (_gate)
            {
                return _first;
            }
        }
    }

    public void Write(in RejectedRecord record)
    {
        lock (_gate)
        {
            _first ??= record;
        }

        _inner.Write(record);
    }

    public Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    /// <summary>Disposes the sink it wraps, as the container would have.</summary>
    public void Dispose() => (_inner as IDisposable)?.Dispose();

    /// <summary>Disposes the sink it wraps, as the container would have.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_inner is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync().ConfigureAwait(false);
        }
        else if (_inner is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }
}
