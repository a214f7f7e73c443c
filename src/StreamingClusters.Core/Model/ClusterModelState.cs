namespace StreamingClusters.Model;

/// <summary>
/// Everything a <see cref="ClusterModel"/> needs to continue as if nothing had happened: plain arrays
/// and numbers, so a checkpoint or another node can carry it.
/// </summary>
public sealed record ClusterModelState
{
    /// <summary>Gets the model's shape and options.</summary>
    public required ModelSettings Settings { get; init; }

    /// <summary>Gets the number of M-steps applied.</summary>
    public required long Version { get; init; }

    /// <summary>Gets a value indicating whether the centroids have been seeded.</summary>
    public required bool Seeded { get; init; }

    /// <summary>Gets the centroids, k × d, row-major.</summary>
    public required double[] Centroids { get; init; }

    /// <summary>Gets the (discounted) weight of each cluster.</summary>
    public required double[] Weights { get; init; }

    /// <summary>Gets each cluster's (discounted) sum of squared distances.</summary>
    public required double[] Inertia { get; init; }

    /// <summary>Gets the total number of points applied.</summary>
    public required long PointsApplied { get; init; }

    /// <summary>Gets each slot's cluster id; null in a state written before clusters had ids (they are then numbered afresh).</summary>
    public long[]? Ids { get; init; }

    /// <summary>Gets the id the next new cluster gets.</summary>
    public long NextId { get; init; }

    /// <summary>Gets the latest changes of ids, oldest first (at most <see cref="ClusterModel.RecentEventCapacity"/>); null in a state written before events were kept.</summary>
    public IReadOnlyList<ClusterEvent>? RecentEvents { get; init; }

    /// <summary>Gets, per slot, the version up to which a repair leaves the cluster still; null when none is held.</summary>
    public long[]? HeldUntil { get; init; }

    /// <summary>Gets each cluster's weight when it last got its share of a batch (the repair's starving test); null in a state written before it was kept (the weights then).</summary>
    public double[]? FedWeights { get; init; }

    /// <summary>Gets the least utility the repair's last look found, or null before any look.</summary>
    public double? RepairLeastUtility { get; init; }

    /// <summary>Gets the spread splits the repair measured and refused in a row; null in a state written before it was kept (none).</summary>
    public int? RepairSpreadMisses { get; init; }

    /// <summary>Gets the first version the repair may measure a spread split in again; null in a state written before it was kept (any).</summary>
    public long? RepairSpreadResumes { get; init; }

    /// <summary>Gets the group arriving at a cluster apart from its past that the repair follows, or null when none.</summary>
    public ArrivingGroupState? RepairGroup { get; init; }

    /// <summary>Gets the random generator's state.</summary>
    public required ulong[] RandomState { get; init; }
}
