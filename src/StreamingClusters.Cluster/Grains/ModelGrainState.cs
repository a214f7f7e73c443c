using StreamingClusters.Cluster.Messages;

namespace StreamingClusters.Cluster.Grains;

/// <summary>
/// What a model grain persists: its definition, the model's state as the checkpoint holds it (JSON),
/// the points buffered for seeding, and the last sequence number applied per producer (with when it was
/// last seen, so that idle producers are forgotten).
/// </summary>
[GenerateSerializer]
public sealed class ModelGrainState
{
    /// <summary>Gets or sets the model's definition; null until the model is defined.</summary>
    [Id(0)]
    public ClusterModelDefinition? Definition { get; set; }

    /// <summary>Gets or sets the model's state as UTF-8 JSON of the checkpoint's shape; null while unseeded.</summary>
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
}
