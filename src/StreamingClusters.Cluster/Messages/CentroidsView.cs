namespace StreamingClusters.Cluster.Messages;

/// <summary>A model version's centroids, for the E-step on the silos; the centroids are null when the asker has that version already.</summary>
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
#pragma warning restore CA1819

    /// <summary>Gets the model's incarnation (<see cref="ClusterModelDefinition.Incarnation"/>), so that a silo holding another one drops it.</summary>
    [Id(4)]
    public string? Incarnation { get; init; }
}
