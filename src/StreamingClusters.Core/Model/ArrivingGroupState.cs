namespace StreamingClusters.Model;

/// <summary>
/// A group of points arriving at one cluster apart from its past, followed by the repair across
/// batches: the cluster's statistics since the group began, split exactly into its past (its centroid
/// and weight then, discounted since) and the group (its points since, discounted alike).
/// </summary>
public sealed record ArrivingGroupState
{
    /// <summary>Gets the slot of the cluster the group arrives at.</summary>
    public required int Slot { get; init; }

    /// <summary>Gets the cluster's centroid before the group began.</summary>
    public required double[] PastCentroid { get; init; }

    /// <summary>Gets the cluster's weight before the group began, discounted since.</summary>
    public required double PastWeight { get; init; }

    /// <summary>Gets the cluster's weight when the group began (0 in a state written before it was kept).</summary>
    public double PastStartWeight { get; init; }

    /// <summary>Gets the cluster's error before the group began, discounted since.</summary>
    public required double PastInertia { get; init; }

    /// <summary>Gets the mean of the group's points.</summary>
    public required double[] Mean { get; init; }

    /// <summary>Gets the group's (discounted) weight.</summary>
    public required double Weight { get; init; }

    /// <summary>Gets the group's (discounted) sum of squared distances to its mean.</summary>
    public required double Error { get; init; }

    /// <summary>Gets the error a split into past and group takes away: P N / (P + N) ‖μ_past − x̄_group‖².</summary>
    internal double Gain
    {
        get
        {
            double between = 0;
            for (int j = 0; j < Mean.Length; j++)
            {
                double diff = PastCentroid[j] - Mean[j];
                between += diff * diff;
            }

            double total = PastWeight + Weight;
            return total > 0 ? PastWeight * Weight / total * between : 0;
        }
    }
}
