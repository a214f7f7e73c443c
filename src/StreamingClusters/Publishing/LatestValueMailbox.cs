using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging;

namespace StreamingClusters.Publishing;

/// <summary>
/// One subscriber's delivery of snapshots: the publisher posts without waiting, and the subscriber is
/// called on its own scheduler with the latest value, skipping versions it was too slow to see. A
/// slow subscriber therefore never slows the pipeline nor the other subscribers, and an observer that
/// throws is cut off alone. OnNext is never called concurrently for one subscriber.
/// </summary>
/// <remarks>
/// With a minimum interval, a drain starts no sooner than that after the previous one started (the
/// newest value then), instead of one drain per value. The model publishes a version per mini-batch,
/// tens of thousands a second; one thread-pool work item per version keeps an idle pool thread
/// spinning for the next one the whole time — a second core burnt, taken from the helper threads and
/// the writers. Completion is never held back longer than that interval.
/// </remarks>
/// <typeparam name="T">The value type.</typeparam>
internal sealed class LatestValueMailbox<T> : IDisposable
    where T : class
{
    private readonly IObserver<T> _observer;
    private readonly IScheduler _scheduler;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly TimeSpan _interval;

    /// <summary>When the last drain started, on the scheduler's clock; null before the first (with an interval).</summary>
    private DateTimeOffset? _lastDrain;

    /// <summary>The value not yet delivered; null when the subscriber is up to date.</summary>
    private T? _pending;

    /// <summary>Set while a drain is scheduled or running; only that drain calls the observer.</summary>
    private bool _draining;

    /// <summary>Set once the stream has ended (with <see cref="_error"/> when it failed).</summary>
    private bool _completed;
    private Exception? _error;

    /// <summary>Set once the subscriber has gone (disposed, or its observer threw).</summary>
    private bool _stopped;

    /// <param name="observer">The subscriber.</param>
    /// <param name="scheduler">Where the subscriber is called.</param>
    /// <param name="logger">Logs a subscriber that throws.</param>
    /// <param name="minimumInterval">The least time between the starts of two drains; zero for a drain per value.</param>
    public LatestValueMailbox(IObserver<T> observer, IScheduler scheduler, ILogger logger, TimeSpan minimumInterval = default)
    {
        _interval = minimumInterval;
        _observer = observer;
        _scheduler = scheduler;
        _logger = logger;
    }

    /// <summary>Gets the number of values that were replaced before the subscriber saw them.</summary>
    public long Skipped { get; private set; }

    public void Post(T value)
    {
        lock (_gate)
        {
            if (_stopped || _completed)
            {
                return;
            }

            if (_pending is not null)
            {
                Skipped++;
            }

            _pending = value;
            ScheduleDrain();
        }
    }

    public void Complete(Exception? error)
    {
        lock (_gate)
        {
            if (_stopped || _completed)
            {
                return;
            }

            _completed = true;
            _error = error;
            ScheduleDrain();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            _pending = null;
        }
    }

    private void ScheduleDrain()
    {
        if (!_draining)
        {
            _draining = true;
            // Clamped: the scheduler's clock may be the wall clock, which can jump back.
            TimeSpan wait = _lastDrain is DateTimeOffset last
                ? (_scheduler.Now < last ? _interval : _interval - (_scheduler.Now - last))
                : TimeSpan.Zero;
            if (wait > TimeSpan.Zero)
            {
                // Rounded up to whole milliseconds: the thread pool's timers truncate to them, and a
                // wait under one would run at once, a drain per value again.
                _scheduler.Schedule(TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds)), Drain);
            }
            else
            {
                _scheduler.Schedule(Drain);
            }
        }
    }

    private void Drain()
    {
        bool delivered = false;
        while (true)
        {
            T? value;
            bool complete;
            Exception? error;
            lock (_gate)
            {
                if (_interval > TimeSpan.Zero)
                {
                    if (delivered && _pending is not null && !_stopped)
                    {
                        // A value arrived while the last was delivered: it waits its turn like any
                        // other, or a drain that keeps finding new values would deliver each one.
                        _scheduler.Schedule(_interval, Drain);
                        return;
                    }

                    _lastDrain = _scheduler.Now;
                }

                value = _pending;
                _pending = null;
                complete = value is null && _completed;
                error = _error;
                if (_stopped || (value is null && !complete))
                {
                    _draining = false;
                    return;
                }

                if (complete)
                {
                    _stopped = true;
                }
            }

            try
            {
                if (value is not null)
                {
                    _observer.OnNext(value);
                    delivered = true;
                }
                else if (error is not null)
                {
                    _observer.OnError(error);
                }
                else
                {
                    _observer.OnCompleted();
                }
            }
#pragma warning disable CA1031 // A subscriber's failure must not reach the pipeline: it is logged and the subscriber cut off.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                PublishingLog.SubscriberFailed(_logger, ex, typeof(T).Name);
                lock (_gate)
                {
                    _stopped = true;
                    _pending = null;
                    _draining = false;
                }

                return;
            }
        }
    }
}
