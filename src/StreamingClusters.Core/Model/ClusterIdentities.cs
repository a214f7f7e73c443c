namespace StreamingClusters.Model;

/// <summary>
/// The lasting names of a model's k slots, shared by every model: each slot's id (never reused), the id
/// the next new cluster gets, and the latest changes of ids for subscribers that arrive later.
/// </summary>
internal sealed class ClusterIdentities
{
    /// <summary>How many of the latest cluster events a model keeps (and checkpoints) for late subscribers.</summary>
    public const int RecentEventCapacity = 256;

    private readonly long[] _ids;
    private readonly Queue<ClusterEvent> _recent = new();

    /// <summary>Creates the names of <paramref name="clusters"/> slots, all 0 until numbered or restored.</summary>
    /// <param name="clusters">k.</param>
    public ClusterIdentities(int clusters) => _ids = new long[clusters];

    /// <summary>Gets each slot's id.</summary>
    public ReadOnlySpan<long> Ids => _ids;

    /// <summary>Gets the id the next new cluster gets.</summary>
    public long Next { get; private set; }

    /// <summary>Gets the latest changes of ids, oldest first, at most <see cref="RecentEventCapacity"/>.</summary>
    public IReadOnlyCollection<ClusterEvent> Recent => _recent;

    /// <summary>Gets a slot's id.</summary>
    /// <param name="slot">The slot.</param>
    public long this[int slot] => _ids[slot];

    /// <summary>Gives the first clusters the ids 0 … k − 1.</summary>
    public void Number()
    {
        for (int c = 0; c < _ids.Length; c++)
        {
            _ids[c] = c;
        }

        Next = _ids.Length;
    }

    /// <summary>Gives a slot a new id.</summary>
    /// <param name="slot">The slot.</param>
    /// <returns>The new id.</returns>
    public long Renew(int slot) => _ids[slot] = Next++;

    /// <summary>
    /// Gives a starved slot a new id: the model's reseed and the cluster event that says why, added to
    /// <paramref name="events"/>.
    /// </summary>
    /// <param name="slot">The slot reseeded.</param>
    /// <param name="version">The version the reseed is part of.</param>
    /// <param name="weight">The starved cluster's weight.</param>
    /// <param name="newWeight">The weight it starts again with.</param>
    /// <param name="reason">Why, for the event.</param>
    /// <param name="events">The version's cluster events.</param>
    /// <returns>The reseed, with the retired and the new id.</returns>
    public ReseedEvent Reseed(int slot, long version, double weight, double newWeight, string reason, List<ClusterEvent> events)
    {
        long retired = _ids[slot];
        long renewed = Renew(slot);
        events.Add(new ClusterEvent(ClusterEventKind.Reseeded, version, slot, retired, renewed, reason));
        return new ReseedEvent(slot, weight, newWeight) { RetiredId = retired, NewId = renewed };
    }

    /// <summary>Restores the names from a state: its ids and next id when they fit k, else 0 … k − 1 for a seeded model; and its events.</summary>
    /// <param name="ids">The state's ids, or null in a state written before ids were kept.</param>
    /// <param name="next">The state's next id.</param>
    /// <param name="seeded">Whether the state's model is seeded.</param>
    /// <param name="events">The state's recent events, or null.</param>
    public void Restore(long[]? ids, long next, bool seeded, IEnumerable<ClusterEvent>? events)
    {
        if (ids is not null && ids.Length == _ids.Length)
        {
            ids.CopyTo(_ids, 0);
            Next = next;
        }
        else if (seeded)
        {
            Number();
        }

        foreach (ClusterEvent e in events ?? [])
        {
            Remember(e);
        }
    }

    /// <summary>Keeps an event among the latest, dropping the oldest beyond <see cref="RecentEventCapacity"/>.</summary>
    /// <param name="e">The event.</param>
    public void Remember(ClusterEvent e)
    {
        if (_recent.Count == RecentEventCapacity)
        {
            _recent.Dequeue();
        }

        _recent.Enqueue(e);
    }
}
