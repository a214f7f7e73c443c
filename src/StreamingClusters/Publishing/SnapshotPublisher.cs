using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using Microsoft.Extensions.Logging;

namespace StreamingClusters.Publishing;

/// <summary>
/// Publishes the model's snapshots. The M-step is the only writer. Each subscriber gets the latest
/// snapshot at once (behaviour-subject semantics) and then every newer one it can keep up with, on
/// its own scheduler; when it falls behind it takes the latest. Completion follows the final snapshot.
/// </summary>
public sealed class SnapshotPublisher
{
    private readonly Lock _gate = new();
    /// <summary>Replaced, never modified, on subscribe and unsubscribe, so publishing can walk it while a subscriber leaves.</summary>
    private LatestValueMailbox<CentroidSnapshot>[] _subscribers = [];
    private readonly IScheduler _scheduler;
    private readonly ILogger _logger;
    private readonly TimeSpan _minimumInterval;
    private CentroidSnapshot? _latest;
    private bool _completed;
    private Exception? _error;

    /// <summary>Creates the publisher.</summary>
    /// <param name="scheduler">Where subscribers are called; each subscriber is called by one drain at a time.</param>
    /// <param name="logger">Logs subscribers that throw.</param>
    public SnapshotPublisher(IScheduler scheduler, ILogger logger)
        : this(scheduler, logger, TimeSpan.Zero)
    {
    }

    /// <summary>Creates the publisher, calling each subscriber at most once per <paramref name="minimumInterval"/> (with the latest snapshot).</summary>
    /// <param name="scheduler">Where subscribers are called; each subscriber is called by one drain at a time.</param>
    /// <param name="logger">Logs subscribers that throw.</param>
    /// <param name="minimumInterval">
    /// The least time between the starts of two calls to one subscriber; zero to call it for every
    /// snapshot it keeps up with. Intermediate snapshots are skipped; the latest and the completion
    /// are delivered at most this much later.
    /// </param>
    public SnapshotPublisher(IScheduler scheduler, ILogger logger, TimeSpan minimumInterval)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumInterval, TimeSpan.Zero);
        _minimumInterval = minimumInterval;
        _scheduler = scheduler;
        _logger = logger;
        Snapshots = Observable.Create<CentroidSnapshot>(Subscribe);
    }

    /// <summary>Gets the stream of snapshots.</summary>
    public IObservable<CentroidSnapshot> Snapshots { get; }

    /// <summary>Gets the latest snapshot, or null before the first.</summary>
    public CentroidSnapshot? Latest => Volatile.Read(ref _latest);

    /// <summary>Publishes a new snapshot.</summary>
    /// <param name="snapshot">The snapshot.</param>
    public void Publish(CentroidSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_gate)
        {
            Debug.Assert(!_completed, "Nothing is published after completion.");
            Volatile.Write(ref _latest, snapshot);
            foreach (LatestValueMailbox<CentroidSnapshot> subscriber in _subscribers)
            {
                subscriber.Post(snapshot);
            }
        }
    }

    /// <summary>Ends the stream; subscribers see the latest snapshot, then completion (or the error).</summary>
    /// <param name="error">The failure that ended the stream, if any.</param>
    public void Complete(Exception? error = null)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            _error = error;
            foreach (LatestValueMailbox<CentroidSnapshot> subscriber in _subscribers)
            {
                subscriber.Complete(error);
            }
        }
    }

    private IDisposable Subscribe(IObserver<CentroidSnapshot> observer)
    {
        var mailbox = new LatestValueMailbox<CentroidSnapshot>(observer, _scheduler, _logger, _minimumInterval);
        lock (_gate)
        {
            if (_latest is not null)
            {
                mailbox.Post(_latest);
            }

            if (_completed)
            {
                mailbox.Complete(_error);
                return Disposable.Empty;
            }

            _subscribers = [.. _subscribers, mailbox];
        }

        return Disposable.Create(() =>
        {
            lock (_gate)
            {
                _subscribers = Array.FindAll(_subscribers, m => m != mailbox);
            }

            mailbox.Dispose();
        });
    }
}
