namespace StreamingClusters.Cluster.Messages;

/// <summary>
/// A model grain's definition and progress as last persisted, without its state: what a description of
/// the model and a health probe read, kept small since a probe asks every model often.
/// </summary>
[GenerateSerializer]
[Immutable]
public sealed record ModelStatus
{
    /// <summary>Gets the model's definition.</summary>
    [Id(0)]
    public required ClusterModelDefinition Definition { get; init; }

    /// <summary>Gets a value indicating whether the model is seeded (from its initial centroids, or on its seeding buffer).</summary>
    [Id(1)]
    public required bool Seeded { get; init; }

    /// <summary>Gets the model version.</summary>
    [Id(2)]
    public required long Version { get; init; }

    /// <summary>Gets the points applied to the model.</summary>
    [Id(3)]
    public required long PointsApplied { get; init; }

    /// <summary>Gets the points refused (the update would have made the model non-finite) and the records and points the silos rejected.</summary>
    [Id(4)]
    public required long PointsRejected { get; init; }
}
