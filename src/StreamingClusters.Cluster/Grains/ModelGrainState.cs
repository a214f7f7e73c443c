using StreamingClusters.Cluster.Messages;

namespace StreamingClusters.Cluster.Grains;

/// <summary>
/// What a model grain persists: its definition, the model's state (<see cref="ModelStateCodec"/>'s binary
/// form; JSON of the checkpoint's shape in a state written by an earlier version), the points buffered
/// for seeding, the last sequence number applied per producer (with when it was last seen, so that idle
/// producers are forgotten), and the accounting: per source, and of the last batch applied.
/// </summary>
[GenerateSerializer]
public sealed class ModelGrainState
{
    /// <summary>Gets or sets the model's definition; null until the model is defined.</summary>
    [Id(0)]
    public ClusterModelDefinition? Definition { get; set; }

    /// <summary>Gets or sets the model's state (<see cref="ModelStateCodec"/>, or UTF-8 JSON when written by an earlier version); null while unseeded.</summary>
#pragma warning disable CA1819 // Plain data that is persisted.
    [Id(1)]
    public byte[]? Model { get; set; }

    /// <summary>Gets or sets the points buffered for seeding, row-major.</summary>
    [Id(2)]
    public float[] SeedBuffer { get; set; } = [];
#pragma warning restore CA1819

    /// <summary>Gets the last sequence number applied per producer.</summary>
    [Id(3)]
    public Dictionary<string, long> Sequences { get; init; } = [];

    /// <summary>Gets or sets the batches dropped as duplicates.</summary>
    [Id(4)]
    public long DuplicatesDropped { get; set; }

    /// <summary>Gets or sets the statistics batches assigned against an older version than the one they were applied to.</summary>
    [Id(5)]
    public long StaleBatches { get; set; }

    /// <summary>Gets or sets the points of batches whose update would have made the model non-finite (refused, not applied).</summary>
    [Id(6)]
    public long PointsRefused { get; set; }

    /// <summary>Gets when each producer in <see cref="Sequences"/> last had a batch applied; producers idle far longer than their send deadline are forgotten.</summary>
    [Id(7)]
    public Dictionary<string, DateTimeOffset> LastSeen { get; init; } = [];

    /// <summary>Gets or sets the model's random generator state while unseeded (seeding attempts on too few distinct points draw from it); null once seeded.</summary>
#pragma warning disable CA1819 // Plain data that is persisted.
    [Id(8)]
    public ulong[]? SeedingRandomState { get; set; }
#pragma warning restore CA1819

    /// <summary>Gets the points each source sent: received, applied and rejected (by a silo's checks, or refused by the model).</summary>
    [Id(9)]
    public Dictionary<string, SourceCounts> Sources { get; init; } = [];

    /// <summary>Gets the points in the seeding buffer per source (applied, or refused, all together when the model seeds).</summary>
    [Id(10)]
    public Dictionary<string, long> BufferedBySource { get; init; } = [];

    /// <summary>Gets or sets the records and points the silos rejected (unreadable, not finite or out of range), every source together.</summary>
    [Id(11)]
    public long PointsRejected { get; set; }

    /// <summary>Gets or sets the points of the last batch applied.</summary>
    [Id(12)]
    public long LastBatchPoints { get; set; }

    /// <summary>Gets or sets the last batch's sum of squared distances to the centroids it was assigned against.</summary>
    [Id(13)]
    public double LastBatchSquaredError { get; set; }

    /// <summary>Gets or sets the clusters the last batch applied reseeded.</summary>
#pragma warning disable CA1819 // Plain data that is persisted.
    [Id(14)]
    public ReseedRecord[] LastReseeds { get; set; } = [];
#pragma warning restore CA1819
}

/// <summary>One source's points as a model grain counts them.</summary>
/// <param name="Received">Points and records received (applied, rejected, or waiting in the seeding buffer).</param>
/// <param name="Applied">Points applied to the model.</param>
/// <param name="Rejected">Records and points rejected by a silo, or refused by the model.</param>
[GenerateSerializer]
[Immutable]
public readonly record struct SourceCounts(
    [property: Id(0)] long Received,
    [property: Id(1)] long Applied,
    [property: Id(2)] long Rejected);

/// <summary>A reseed of the last batch, as a model grain keeps it (see <see cref="StreamingClusters.Model.ReseedEvent"/>).</summary>
/// <param name="Cluster">The slot reseeded.</param>
/// <param name="PreviousWeight">The retired cluster's weight.</param>
/// <param name="NewWeight">The new cluster's weight.</param>
/// <param name="RetiredId">The id retired.</param>
/// <param name="NewId">The id started.</param>
[GenerateSerializer]
[Immutable]
public readonly record struct ReseedRecord(
    [property: Id(0)] int Cluster,
    [property: Id(1)] double PreviousWeight,
    [property: Id(2)] double NewWeight,
    [property: Id(3)] long RetiredId,
    [property: Id(4)] long NewId);
