namespace StreamingClusters.Model;

/// <summary>A starved cluster moved to a recent point chosen by D² sampling.</summary>
/// <param name="Cluster">The cluster that was reseeded.</param>
/// <param name="PreviousWeight">Its weight before the reseed.</param>
/// <param name="NewWeight">The weight it starts again with (the smallest weight among live clusters).</param>
public readonly record struct ReseedEvent(int Cluster, double PreviousWeight, double NewWeight);

/// <summary>What one M-step did.</summary>
/// <param name="Version">The model version it produced.</param>
/// <param name="Points">The number of points it applied.</param>
/// <param name="Discount">The discount a applied to the old weights.</param>
/// <param name="SquaredError">The batch's sum of squared distances to the centroids it was assigned against.</param>
/// <param name="Reseeds">The clusters it reseeded, in cluster order.</param>
public sealed record ModelUpdate(long Version, long Points, double Discount, double SquaredError, IReadOnlyList<ReseedEvent> Reseeds)
{
    /// <summary>Gets the batch's mean squared distance, or 0 for an empty batch.</summary>
    public double MeanSquaredDistance => Points == 0 ? 0 : SquaredError / Points;
}
