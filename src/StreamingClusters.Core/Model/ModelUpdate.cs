namespace StreamingClusters.Model;

/// <summary>A starved cluster retired and a new one started in its slot, at a recent point chosen by D² sampling.</summary>
/// <param name="Cluster">The slot that was reseeded.</param>
/// <param name="PreviousWeight">The retired cluster's weight.</param>
/// <param name="NewWeight">The weight the new cluster starts with (the smallest weight among live clusters).</param>
public readonly record struct ReseedEvent(int Cluster, double PreviousWeight, double NewWeight)
{
    /// <summary>Gets the id of the cluster retired.</summary>
    public long RetiredId { get; init; }

    /// <summary>Gets the id of the cluster started in its place (never used before).</summary>
    public long NewId { get; init; }
}

/// <summary>What one M-step did.</summary>
/// <param name="Version">The model version it produced.</param>
/// <param name="Points">The number of points it applied.</param>
/// <param name="Discount">The discount a applied to the old weights.</param>
/// <param name="SquaredError">The batch's sum of squared distances to the centroids it was assigned against.</param>
/// <param name="Reseeds">The clusters it reseeded, in cluster order.</param>
public sealed record ModelUpdate(long Version, long Points, double Discount, double SquaredError, IReadOnlyList<ReseedEvent> Reseeds)
{
    /// <summary>Gets the changes of ids the step made (seeding, reseeds, repairs), in the order they were made.</summary>
    public IReadOnlyList<ClusterEvent> Events { get; init; } = [];

    /// <summary>Gets the batch's mean squared distance, or 0 for an empty batch.</summary>
    public double MeanSquaredDistance => Points == 0 ? 0 : SquaredError / Points;

    /// <summary>
    /// Adds the batch's points per cluster to each cluster's count since it got its id: a slot this step
    /// reseeded or split off starts again from 0 (the batch's points went to the cluster it retired).
    /// </summary>
    /// <param name="counts">Each slot's count, updated in place.</param>
    /// <param name="batchCounts">The batch's points per slot.</param>
    public void AddCounts(Span<long> counts, ReadOnlySpan<long> batchCounts)
    {
        for (int c = 0; c < counts.Length; c++)
        {
            counts[c] += batchCounts[c];
        }

        foreach (ClusterEvent e in Events)
        {
            if (e.Kind is ClusterEventKind.Reseeded or ClusterEventKind.SplitOff)
            {
                counts[e.Slot] = 0;
            }
        }
    }
}
