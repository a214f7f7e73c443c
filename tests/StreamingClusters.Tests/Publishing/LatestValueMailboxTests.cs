using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Publishing;

namespace StreamingClusters.Tests.Publishing;

public sealed class LatestValueMailboxTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    private readonly HistoricalScheduler _scheduler = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly List<string> _seen = [];
    private bool _completed;
    private Action<string>? _onNext;

    private LatestValueMailbox<string> CreateSut(TimeSpan interval) =>
        new(new Recorder(this), _scheduler, NullLogger.Instance, interval);

    [Fact]
    public void Post_ZeroInterval_EveryValueItKeepsUpWithDelivered()
    {
        using LatestValueMailbox<string> sut = CreateSut(TimeSpan.Zero);

        foreach (string value in new[] { "a", "b", "c" })
        {
            sut.Post(value);
            _scheduler.AdvanceBy(Tick);
        }

        Assert.Equal(["a", "b", "c"], _seen);
    }

    [Fact]
    public void Post_SeveralWithinTheInterval_FirstAtOnceThenOnlyTheLatestOnceTheIntervalHasPassed()
    {
        using LatestValueMailbox<string> sut = CreateSut(Interval);

        sut.Post("a");
        _scheduler.AdvanceBy(Tick);
        Assert.Equal(["a"], _seen);

        sut.Post("b");
        _scheduler.AdvanceBy(Tick);
        sut.Post("c");
        _scheduler.AdvanceBy(Interval / 2);
        Assert.Equal(["a"], _seen);

        _scheduler.AdvanceBy(Interval / 2);
        Assert.Equal(["a", "c"], _seen);
        Assert.Equal(1, sut.Skipped);
    }

    [Fact]
    public void Post_LessThanAMillisecondOfTheIntervalLeft_WaitsAWholeMillisecond()
    {
        // The thread pool's timers count whole milliseconds and run a shorter wait at once.
        using LatestValueMailbox<string> sut = CreateSut(Interval);
        sut.Post("a");
        _scheduler.AdvanceBy(TimeSpan.FromMilliseconds(0.4));

        sut.Post("b");
        _scheduler.AdvanceBy(TimeSpan.FromMilliseconds(0.9));
        Assert.Equal(["a"], _seen);

        _scheduler.AdvanceBy(TimeSpan.FromMilliseconds(0.1));
        Assert.Equal(["a", "b"], _seen);
    }

    [Fact]
    public void Post_WhileTheLastIsBeingDelivered_WaitsForTheInterval()
    {
        using LatestValueMailbox<string> sut = CreateSut(Interval);
        _onNext = value =>
        {
            if (value == "a")
            {
                sut.Post("b");
            }
        };

        sut.Post("a");
        _scheduler.AdvanceBy(Tick);
        Assert.Equal(["a"], _seen);

        _scheduler.AdvanceBy(Interval);
        Assert.Equal(["a", "b"], _seen);
    }

    [Fact]
    public void Post_AfterAQuietInterval_DeliveredAtOnce()
    {
        using LatestValueMailbox<string> sut = CreateSut(Interval);
        sut.Post("a");
        _scheduler.AdvanceBy(Interval * 3);

        sut.Post("b");
        _scheduler.AdvanceBy(Tick);

        Assert.Equal(["a", "b"], _seen);
    }

    [Fact]
    public void Complete_RightAfterAValue_LatestThenCompletionWithinTheInterval()
    {
        using LatestValueMailbox<string> sut = CreateSut(Interval);
        sut.Post("a");
        _scheduler.AdvanceBy(Tick);

        sut.Post("b");
        sut.Complete(null);
        _scheduler.AdvanceBy(Tick);
        Assert.False(_completed);

        _scheduler.AdvanceBy(Interval);
        Assert.Equal(["a", "b"], _seen);
        Assert.True(_completed);
    }

    private sealed class Recorder(LatestValueMailboxTests owner) : IObserver<string>
    {
        public void OnCompleted() => owner._completed = true;

        public void OnError(Exception error) => throw error;

        public void OnNext(string value)
        {
            owner._seen.Add(value);
            owner._onNext?.Invoke(value);
        }
    }
}
