using StreamingClusters.Ingest;
using StreamingClusters.Sinks;

namespace StreamingClusters.Worker;

/// <summary>
/// A dead-letter sink that looks at each rejected record and passes it on to the configured sink, which it
/// owns from then on: flushes and disposal go through to it, as the container would have done.
/// </summary>
/// <param name="inner">The configured sink.</param>
internal abstract class ForwardingDeadLetterSink(IDeadLetterSink inner) : IDeadLetterSink, IDisposable, IAsyncDisposable
{
    public void Write(in RejectedRecord record)
    {
        Seen(record);
        inner.Write(record);
    }

    public Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    /// <summary>Disposes the sink it wraps.</summary>
    public void Dispose()
    {
        (inner as IDisposable)?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the sink it wraps.</summary>
    /// <returns>A task that completes once it is disposed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (inner is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync().ConfigureAwait(false);
        }
        else if (inner is IDisposable disposable)
        {
            disposable.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Looks at a rejected record before it is passed on; called from any source's thread.</summary>
    /// <param name="record">The record.</param>
    protected abstract void Seen(in RejectedRecord record);
}
