namespace StreamingClusters.Cluster.Messages;

/// <summary>
/// Raw points sent to a model grain while the model is not seeded yet (it seeds on the first points
/// itself), with the producer's name and sequence number as a <see cref="StatisticsBatch"/> has.
/// </summary>
[GenerateSerializer]
[Immutable]
public sealed record PointsBatch
{
    /// <summary>Gets the producer.</summary>
    [Id(0)]
    public required string Producer { get; init; }

    /// <summary>Gets the producer's sequence number (shared with its statistics batches to the same model).</summary>
    [Id(1)]
    public required long Sequence { get; init; }

    /// <summary>Gets the points, row-major.</summary>
#pragma warning disable CA1819 // Plain data that travels.
    [Id(2)]
    public required float[] Points { get; init; }

    /// <summary>Gets each source's share of the points, and the records the silo rejected from it since its previous batch.</summary>
    [Id(3)]
    public SourceTally[] Sources { get; init; } = [];
#pragma warning restore CA1819

    /// <summary>Gets the incarnation of the model the points were sent to (<see cref="ClusterModelDefinition.Incarnation"/>); another is refused.</summary>
    [Id(4)]
    public string? Incarnation { get; init; }
}
