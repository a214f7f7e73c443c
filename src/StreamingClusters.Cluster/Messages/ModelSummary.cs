using StreamingClusters.Cluster.Grains;

namespace StreamingClusters.Cluster.Messages;

/// <summary>A model grain's model and accounting, for readers on any silo.</summary>
[GenerateSerializer]
[Immutable]
public sealed record ModelSummary
{
    /// <summary>Gets the model's definition.</summary>
    [Id(0)]
    public required ClusterModelDefinition Definition { get; init; }

    /// <summary>Gets the model version.</summary>
    [Id(1)]
    public required long Version { get; init; }

    /// <summary>Gets the points applied to the model.</summary>
    [Id(2)]
    public required long PointsApplied { get; init; }

    /// <summary>Gets the points buffered for seeding (persisted, not yet applied).</summary>
    [Id(3)]
    public required int PointsBuffered { get; init; }

    /// <summary>Gets the batches dropped as duplicates.</summary>
    [Id(4)]
    public required long DuplicatesDropped { get; init; }

    /// <summary>Gets the statistics batches applied that were assigned against an older version than the one they were applied to.</summary>
    [Id(5)]
    public required long StaleBatches { get; init; }

    /// <summary>Gets the points refused because their update would have made the model non-finite.</summary>
    [Id(7)]
    public required long PointsRefused { get; init; }

    /// <summary>Gets the silo the model's grain runs on (its runtime identity).</summary>
    [Id(8)]
    public required string Silo { get; init; }

    /// <summary>Gets the model's whole state as the grain persisted it (read it with <see cref="ModelStateCodec.Read"/>), or null while unseeded.</summary>
#pragma warning disable CA1819 // Plain data that travels.
    [Id(9)]
    public byte[]? State { get; init; }

    /// <summary>Gets the clusters the last batch applied reseeded.</summary>
    [Id(14)]
    public ReseedRecord[] LastReseeds { get; init; } = [];
#pragma warning restore CA1819

    /// <summary>Gets the records and points the silos rejected (unreadable, not finite or out of range).</summary>
    [Id(10)]
    public long PointsRejected { get; init; }

    /// <summary>Gets each source's points: received, applied, rejected.</summary>
    [Id(11)]
    public IReadOnlyDictionary<string, SourceCounts> Sources { get; init; } = new Dictionary<string, SourceCounts>();

    /// <summary>Gets the points of the last batch applied.</summary>
    [Id(12)]
    public long LastBatchPoints { get; init; }

    /// <summary>Gets the last batch's sum of squared distances to the centroids it was assigned against.</summary>
    [Id(13)]
    public double LastBatchSquaredError { get; init; }
}
