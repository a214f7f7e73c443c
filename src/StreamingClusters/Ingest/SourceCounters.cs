namespace StreamingClusters.Ingest;

/// <summary>
/// The accounting of one source: received = applied + rejected + in flight, at every moment a
/// snapshot is taken. Received and rejected move on the source's thread, applied on the M-step's.
/// </summary>
public sealed class SourceCounters
{
    private long _received;
    private long _rejected;
    private long _applied;

    /// <summary>Creates the counters of a source.</summary>
    /// <param name="name">The source's name.</param>
    public SourceCounters(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>Gets the source's name.</summary>
    public string Name { get; }

    /// <summary>Gets the number of records received (good or not).</summary>
    public long Received => Volatile.Read(ref _received);

    /// <summary>Gets the number of records rejected and dead-lettered.</summary>
    public long Rejected => Volatile.Read(ref _rejected);

    /// <summary>Gets the number of points applied to the model.</summary>
    public long Applied => Volatile.Read(ref _applied);

    /// <summary>Gets the points received, not rejected and not yet applied.</summary>
    public long InFlight => Received - Rejected - Applied;

    /// <summary>
    /// Gets or sets what to tell the source when its records up to a position are committed (applied, and
    /// held by a written checkpoint when checkpoints are on); null for a source that does not acknowledge.
    /// </summary>
    internal Action<long>? Committed { get; set; }

    internal void AddReceived(long count) => Interlocked.Add(ref _received, count);

    internal void AddRejected(long count) => Interlocked.Add(ref _rejected, count);

    internal void AddApplied(long count) => Interlocked.Add(ref _applied, count);

    /// <summary>Restores totals from a checkpoint, before the source starts.</summary>
    /// <param name="received">Records received.</param>
    /// <param name="rejected">Records rejected.</param>
    /// <param name="applied">Points applied.</param>
    internal void Restore(long received, long rejected, long applied)
    {
        Volatile.Write(ref _received, received);
        Volatile.Write(ref _rejected, rejected);
        Volatile.Write(ref _applied, applied);
    }
}
