namespace StreamingClusters.Cluster.Grains;

/// <summary>
/// The model grain's record of its producers (one per feed of a model in a silo run; a silo makes a feed
/// again only when the model is found deleted or answers out of sequence): the last sequence number
/// applied from each, and when each was last seen. A producer resends a batch for at most its send deadline, so once
/// it has been idle for <see cref="RetentionDeadlines"/> times that deadline (and at least
/// <see cref="MinimumMargin"/> beyond one) no resend of its can still come, and it is forgotten: the record stays bounded although every silo start, and every feed made again, is a new producer.
/// A forgotten producer that sends again is simply recorded again (its next batch is a new one).
/// </summary>
internal sealed class ProducerLedger
{
    /// <summary>How many send deadlines a producer may stay idle before it is forgotten.</summary>
    public const int RetentionDeadlines = 10;

    /// <summary>
    /// The least time beyond one send deadline a producer is remembered, whatever the deadline: an attempt
    /// started just before the producer's deadline may still arrive an Orleans response time-out (30 s by
    /// default) later, the producer's silo may be configured with a longer deadline than this one, and
    /// the last-seen time may have been taken by another silo's clock before a failover.
    /// </summary>
    public static readonly TimeSpan MinimumMargin = TimeSpan.FromMinutes(5);

    private readonly TimeProvider _time;

    public ProducerLedger(TimeProvider time, TimeSpan sendDeadline)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(sendDeadline, TimeSpan.Zero);
        _time = time;
        TimeSpan deadlines = sendDeadline * RetentionDeadlines;
        TimeSpan margin = sendDeadline + MinimumMargin;
        Retention = deadlines > margin ? deadlines : margin;
    }

    /// <summary>Gets how long a producer may stay idle before it is forgotten.</summary>
    public TimeSpan Retention { get; }

    /// <summary>Says whether a batch is at or below the producer's last applied sequence number.</summary>
    public static bool IsDuplicate(ModelGrainState state, string producer, long sequence) =>
        state.Sequences.TryGetValue(producer, out long last) && sequence <= last;

    /// <summary>Records a batch applied from a producer, and forgets the producers idle longer than <see cref="Retention"/>.</summary>
    public void Record(ModelGrainState state, string producer, long sequence)
    {
        DateTimeOffset now = _time.GetUtcNow();
        state.Sequences[producer] = sequence;
        state.LastSeen[producer] = now;
        foreach (string known in state.Sequences.Keys.ToArray())
        {
            if (!state.LastSeen.TryGetValue(known, out DateTimeOffset seen))
            {
                // Recorded by a grain that kept no times: its time starts now.
                state.LastSeen[known] = now;
            }
            else if (now - seen > Retention)
            {
                state.Sequences.Remove(known);
                state.LastSeen.Remove(known);
            }
        }

        foreach (string orphan in state.LastSeen.Keys.Where(k => !state.Sequences.ContainsKey(k)).ToArray())
        {
            state.LastSeen.Remove(orphan);
        }
    }
}
