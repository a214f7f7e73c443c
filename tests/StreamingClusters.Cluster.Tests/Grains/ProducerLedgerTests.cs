using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Cluster.Grains;

namespace StreamingClusters.Cluster.Tests.Grains;

/// <summary>The model grain's producers stay bounded: one idle far longer than its send deadline is forgotten.</summary>
public sealed class ProducerLedgerTests
{
    private static readonly TimeSpan SendDeadline = TimeSpan.FromSeconds(60);

    [Fact]
    public void Record_ProducerIdleLongerThanTheRetention_Forgotten()
    {
        var clock = new FakeTimeProvider();
        var ledger = new ProducerLedger(clock, SendDeadline);
        var state = new ModelGrainState();
        ledger.Record(state, "silo-run-1", 7);
        clock.Advance(ledger.Retention);
        ledger.Record(state, "silo-run-2", 1);

        // At exactly the retention the first is kept, and a resend of its batch 7 is still a duplicate.
        Assert.True(ProducerLedger.IsDuplicate(state, "silo-run-1", 7));
        Assert.Equal(["silo-run-1", "silo-run-2"], state.Sequences.Keys.Order());

        clock.Advance(TimeSpan.FromSeconds(1));
        ledger.Record(state, "silo-run-2", 2);

        Assert.Equal(["silo-run-2"], state.Sequences.Keys);
        Assert.Equal(["silo-run-2"], state.LastSeen.Keys);
        Assert.Equal(2, state.Sequences["silo-run-2"]);
        Assert.Equal(clock.GetUtcNow(), state.LastSeen["silo-run-2"]);
    }

    [Fact]
    public void Record_ProducersThatKeepSending_AllKept()
    {
        var clock = new FakeTimeProvider();
        var ledger = new ProducerLedger(clock, SendDeadline);
        var state = new ModelGrainState();
        for (int step = 1; step <= 30; step++)
        {
            ledger.Record(state, "a", step);
            ledger.Record(state, "b", step);
            clock.Advance(SendDeadline);
        }

        Assert.Equal(TimeSpan.FromMinutes(10), ledger.Retention);
        Assert.Equal(["a", "b"], state.Sequences.Keys.Order());
        Assert.True(ProducerLedger.IsDuplicate(state, "a", 30));
        Assert.False(ProducerLedger.IsDuplicate(state, "a", 31));
    }

    [Fact]
    public void Retention_AShortSendDeadline_AtLeastTheMarginBeyondIt()
    {
        // A 2 s deadline: ten of them (20 s) would forget a producer whose last attempt, started just before
        // its deadline, still waits out Orleans' 30 s response time-out.
        var ledger = new ProducerLedger(new FakeTimeProvider(), TimeSpan.FromSeconds(2));

        Assert.Equal(TimeSpan.FromSeconds(2) + ProducerLedger.MinimumMargin, ledger.Retention);
    }

    [Fact]
    public void Record_ManyProducersStartedAndGone_RecordStaysBounded()
    {
        var clock = new FakeTimeProvider();
        var ledger = new ProducerLedger(clock, SendDeadline);
        var state = new ModelGrainState();

        // A new producer (a silo restarted) every minute for a day, each sending a few batches.
        for (int run = 0; run < 24 * 60; run++)
        {
            for (int b = 1; b <= 3; b++)
            {
                ledger.Record(state, $"run-{run}", b);
            }

            clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.InRange(state.Sequences.Count, 1, ProducerLedger.RetentionDeadlines + 1);
        Assert.Equal(state.Sequences.Keys.Order(), state.LastSeen.Keys.Order());
    }

    [Fact]
    public void Record_ProducersRecordedWithoutATime_TimedFromNowNotForgotten()
    {
        var clock = new FakeTimeProvider();
        var ledger = new ProducerLedger(clock, SendDeadline);
        var state = new ModelGrainState();
        state.Sequences["older"] = 4;

        ledger.Record(state, "new", 1);
        clock.Advance(ledger.Retention);
        ledger.Record(state, "new", 2);

        Assert.True(ProducerLedger.IsDuplicate(state, "older", 4));
        clock.Advance(TimeSpan.FromSeconds(1));
        ledger.Record(state, "new", 3);
        Assert.False(state.Sequences.ContainsKey("older"));
    }
}
