using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace StreamingClusters.Publishing;

/// <summary>
/// Publishes each batch's assignments. Every subscriber has its own bounded queue drained on its own
/// task: one that falls behind loses blocks (seen as gaps in <see cref="AssignmentBlock.Sequence"/>)
/// instead of slowing the pipeline. Blocks are built only while someone subscribes.
/// </summary>
public sealed class AssignmentPublisher
{
    private readonly Lock _gate = new();
    /// <summary>Replaced, never modified, on subscribe and unsubscribe, so publishing can walk it while a subscriber leaves.</summary>
    private Channel<AssignmentBlock>[] _subscribers = [];
    private readonly int _queueCapacity;
    private readonly ILogger _logger;
    private long _dropped;
    private bool _completed;

    /// <summary>Creates the publisher.</summary>
    /// <param name="queueCapacity">Blocks each subscriber may fall behind before blocks are dropped for it.</param>
    /// <param name="logger">Logs subscribers that throw or fall behind.</param>
    public AssignmentPublisher(int queueCapacity, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(queueCapacity);
        _queueCapacity = queueCapacity;
        _logger = logger;
        Assignments = Observable.Create<AssignmentBlock>(Subscribe);
    }

    /// <summary>Gets the stream of assignment blocks.</summary>
    public IObservable<AssignmentBlock> Assignments { get; }

    /// <summary>Gets a value indicating whether anyone subscribes (so a block is worth building).</summary>
    public bool HasSubscribers
    {
        get
        {
            lock (_gate)
            {
                return _subscribers.Length > 0;
            }
        }
    }

    /// <summary>Gets the number of blocks dropped for subscribers that fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Publishes a block to every subscriber without waiting.</summary>
    /// <param name="block">The block.</param>
    public void Publish(AssignmentBlock block)
    {
        lock (_gate)
        {
            foreach (Channel<AssignmentBlock> queue in _subscribers)
            {
                queue.Writer.TryWrite(block);
            }
        }
    }

    /// <summary>Ends the stream for every subscriber, after what is queued.</summary>
    /// <param name="error">The failure that ended it, if any.</param>
    public void Complete(Exception? error = null)
    {
        lock (_gate)
        {
            _completed = true;
            foreach (Channel<AssignmentBlock> queue in _subscribers)
            {
                queue.Writer.TryComplete(error);
            }
        }
    }

    private IDisposable Subscribe(IObserver<AssignmentBlock> observer)
    {
        var queue = Channel.CreateBounded<AssignmentBlock>(
            new BoundedChannelOptions(_queueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, SingleWriter = true },
            _ =>
            {
                long dropped = Interlocked.Increment(ref _dropped);
                PublishingLog.AssignmentsDropped(_logger, dropped);
            });
        var stop = new CancellationTokenSource();
        lock (_gate)
        {
            if (_completed)
            {
                observer.OnCompleted();
                return Disposable.Empty;
            }

            _subscribers = [.. _subscribers, queue];
        }

        _ = Task.Run(() => DrainAsync(queue.Reader, observer, stop.Token), CancellationToken.None);
        return Disposable.Create(() =>
        {
            lock (_gate)
            {
                _subscribers = Array.FindAll(_subscribers, q => q != queue);
            }

            stop.Cancel();
            stop.Dispose();
        });
    }

    private async Task DrainAsync(ChannelReader<AssignmentBlock> reader, IObserver<AssignmentBlock> observer, CancellationToken stop)
    {
        try
        {
            while (await reader.WaitToReadAsync(stop).ConfigureAwait(false))
            {
                while (!stop.IsCancellationRequested && reader.TryRead(out AssignmentBlock? block))
                {
                    observer.OnNext(block);
                }
            }

            observer.OnCompleted();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Unsubscribed.
        }
        catch (Exception ex) when (reader.Completion.IsFaulted && ex == reader.Completion.Exception?.InnerException)
        {
            observer.OnError(ex);
        }
#pragma warning disable CA1031 // A subscriber's failure must not reach the pipeline.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            PublishingLog.SubscriberFailed(_logger, ex, nameof(AssignmentBlock));
            lock (_gate)
            {
                _subscribers = Array.FindAll(_subscribers, q => q.Reader != reader);
            }
        }
    }
}
