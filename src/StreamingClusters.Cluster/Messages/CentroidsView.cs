namespace StreamingClusters.Cluster.Messages;

/// <summary>
/// A model version's centroids, for the E-step on the silos; the centroids are null when the asker has
/// that version already. The centroids are in the space the model is built in (standardised columns
/// when it scales them, with the scaling beside them for a first asker).
/// </summary>
[GenerateSerializer]
[Immutable]
public sealed record CentroidsView
{
    /// <summary>Gets the model version.</summary>
    [Id(0)]
    public required long Version { get; init; }

    /// <summary>Gets a value indicating whether the model is seeded (else there are no centroids).</summary>
    [Id(1)]
    public required bool Seeded { get; init; }

    /// <summary>Gets k.</summary>
    [Id(2)]
    public required int Clusters { get; init; }

    /// <summary>Gets the centroids in double precision, k × d, row-major; null when unseeded or unchanged.</summary>
#pragma warning disable CA1819 // Plain data that travels.
    [Id(3)]
    public double[]? Centroids { get; init; }

    /// <summary>
    /// Gets each column's mean of a model built in standardised columns, sent with the centroids to an
    /// asker that holds no version yet (the scaling never changes once the model is seeded); null otherwise.
    /// </summary>
    [Id(4)]
    public double[]? ScalingMean { get; init; }

    /// <summary>Gets each column's standard deviation, beside <see cref="ScalingMean"/>.</summary>
    [Id(5)]
    public double[]? ScalingStd { get; init; }

    /// <summary>Gets a Gaussian mixture's variances, k × d, sent with its means (<see cref="Centroids"/>); null for k-means.</summary>
    [Id(6)]
    public double[]? Variances { get; init; }

    /// <summary>Gets a Gaussian mixture's priors, sent with its means; null for k-means.</summary>
    [Id(7)]
    public double[]? Priors { get; init; }
#pragma warning restore CA1819

    /// <summary>Gets the model's incarnation (<see cref="ClusterModelDefinition.Incarnation"/>), so that a silo holding another one drops it.</summary>
    [Id(8)]
    public string? Incarnation { get; init; }
}
