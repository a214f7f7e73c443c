using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using StreamingClusters.Model;

namespace StreamingClusters.Publishing;

/// <summary>
/// Publishes the changes of the clusters' ids. The model stage is the only writer. Each subscriber gets
/// the recent history first (the last <see cref="ClusterModel.RecentEventCapacity"/> events, those
/// restored from a checkpoint included), then every new event, on its own queue: events are rare, and
/// a slow subscriber never holds up the model.
/// </summary>
public sealed class ClusterEventPublisher : IDisposable
{
    private readonly ReplaySubject<ClusterEvent> _subject = new(ClusterModel.RecentEventCapacity);

    /// <summary>Creates the publisher.</summary>
    /// <param name="scheduler">Where subscribers are called.</param>
    public ClusterEventPublisher(IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        Events = _subject.ObserveOn(scheduler);
    }

    /// <summary>Gets the stream of events: recent history first, then each new one.</summary>
    public IObservable<ClusterEvent> Events { get; }

    /// <summary>Publishes events in order.</summary>
    /// <param name="events">The events.</param>
    public void Publish(IEnumerable<ClusterEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (ClusterEvent e in events)
        {
            _subject.OnNext(e);
        }
    }

    /// <summary>Ends the stream.</summary>
    /// <param name="error">The failure that ended it, if any.</param>
    public void Complete(Exception? error = null)
    {
        if (error is null)
        {
            _subject.OnCompleted();
        }
        else
        {
            _subject.OnError(error);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _subject.Dispose();
}
