using StreamingClusters.Scaling;

namespace StreamingClusters.Model;

/// <summary>
/// Everything a streaming model needs to go on where it stopped (what a checkpoint holds of it): plain
/// arrays and numbers, so a file or another node can carry it.
/// </summary>
public sealed record StreamingModelState
{
    /// <summary>Gets the model's parameters, shape, version and random state.</summary>
    public required ClusterModelState Model { get; init; }

    /// <summary>Gets the points assigned to each cluster since it got its id.</summary>
#pragma warning disable CA1819 // Plain data for serialisation.
    public required long[] Counts { get; init; }
#pragma warning restore CA1819

    /// <summary>Gets when the last batch was applied, or null if none has been (time half-lives count from it).</summary>
    public DateTimeOffset? LastApplied { get; init; }

    /// <summary>Gets a mixture's variances, priors and log-likelihood, or null for k-means.</summary>
    public Mixture.MixtureState? Mixture { get; init; }

    /// <summary>Gets the column scaling the model is built in, or null when its columns are taken as they come.</summary>
    public ColumnScalingState? Scaling { get; init; }
}
