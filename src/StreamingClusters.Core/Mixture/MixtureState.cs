namespace StreamingClusters.Mixture;

/// <summary>
/// What a Gaussian mixture holds beyond a k-means model's state (means, weights, ids and random state are in
/// <see cref="Model.ClusterModelState"/>): plain arrays and numbers, so a checkpoint or another node can carry it.
/// </summary>
#pragma warning disable CA1819 // Plain data for serialisation.
public sealed record MixtureState
{
    /// <summary>Gets each component's variances, k × d, row-major.</summary>
    public required double[] Variances { get; init; }

    /// <summary>Gets each component's prior π_c.</summary>
    public required double[] Priors { get; init; }

    /// <summary>Gets the least variance of each coordinate (from the seeding buffer's spread); empty before seeding.</summary>
    public required double[] VarianceFloor { get; init; }

    /// <summary>Gets the discounted sum of the applied points' log-likelihoods.</summary>
    public double LogLikelihood { get; init; }

    /// <summary>Gets the discounted number of points in <see cref="LogLikelihood"/>.</summary>
    public double LogLikelihoodWeight { get; init; }
}
#pragma warning restore CA1819
