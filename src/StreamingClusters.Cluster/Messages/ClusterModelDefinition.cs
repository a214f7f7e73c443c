using StreamingClusters.Model;
using StreamingClusters.MStep;

namespace StreamingClusters.Cluster.Messages;

/// <summary>
/// A named model's shape and options, as its grain keeps them (in its persisted state, so a grain that
/// moves to another silo goes on with the same settings). Plain numbers, serialisable by Orleans.
/// </summary>
[GenerateSerializer]
[Immutable]
public sealed record ClusterModelDefinition
{
    /// <summary>Gets the number of clusters k.</summary>
    [Id(0)]
    public required int Clusters { get; init; }

    /// <summary>Gets the dimension d.</summary>
    [Id(1)]
    public required int Dimensions { get; init; }

    /// <summary>Gets the seed of the model's random generator.</summary>
    /// <value>The default value is 0.</value>
    [Id(2)]
    public ulong Seed { get; init; }

    /// <summary>Gets the number of points the grain buffers before it seeds the model on them.</summary>
    /// <value>The default value is 8192.</value>
    [Id(3)]
    public int SeedingBufferSize { get; init; } = 8192;

    /// <summary>Gets the half-life's value (see <see cref="HalfLife"/>); +∞ when the model never forgets.</summary>
    /// <value>The default value is +∞.</value>
    [Id(4)]
    public double HalfLifeValue { get; init; } = double.PositiveInfinity;

    /// <summary>Gets the half-life's unit.</summary>
    /// <value>The default value is <see cref="HalfLifeUnit.Batches"/>.</value>
    [Id(5)]
    public HalfLifeUnit HalfLifeUnit { get; init; } = HalfLifeUnit.Batches;

    /// <summary>Gets the reseed ratio (see <see cref="ModelSettings.ReseedRatio"/>).</summary>
    /// <value>The default value is 0.01.</value>
    [Id(6)]
    public double ReseedRatio { get; init; } = 0.01;

    /// <summary>Gets a value indicating whether the model repairs local optima (see <see cref="ModelSettings.Repair"/>).</summary>
    /// <value>The default value is false.</value>
    [Id(7)]
    public bool Repair { get; init; }

    /// <summary>Gets the number of k-means++ candidates per pick (see <see cref="ModelSettings.SeedingCandidates"/>).</summary>
    /// <value>The default value is 24.</value>
    [Id(8)]
    public int SeedingCandidates { get; init; } = 24;

    /// <summary>Gets the Lloyd iterations that refine the seeds (see <see cref="ModelSettings.RefineIterations"/>).</summary>
    /// <value>The default value is 20.</value>
    [Id(9)]
    public int RefineIterations { get; init; } = 20;

    /// <summary>Gets the points per E-step shard (the same everywhere, for the same bits).</summary>
    /// <value>The default value is 256, the pipeline's.</value>
    [Id(10)]
    public int ShardSize { get; init; } = 256;

    /// <summary>
    /// Gets the most points of a statistics batch that travel with it as candidates for reseeds and the
    /// repair (the first points of the batch, in the order they were posted).
    /// </summary>
    /// <value>The default value is 1024.</value>
    [Id(11)]
    public int SampleSize { get; init; } = 1024;

    /// <summary>Gets how many seedings are tried, the best kept (see <see cref="ModelSettings.SeedingStarts"/>).</summary>
    /// <value>The default value is 1.</value>
    [Id(12)]
    public int SeedingStarts { get; init; } = 1;

    /// <summary>Gets the breathing rounds after the seeding (see <see cref="ModelSettings.SeedingBreaths"/>).</summary>
    /// <value>The default value is 20.</value>
    [Id(13)]
    public int SeedingBreaths { get; init; } = 20;

    /// <summary>
    /// Gets the largest absolute coordinate a point may have, when the model has its own; null when it
    /// takes the top-level setting of the silo the points arrive at.
    /// </summary>
    [Id(14)]
    public double? MaxAbsoluteValue { get; init; }

    /// <summary>
    /// Gets the longest record, in bytes, when the model has its own; null when it takes the top-level
    /// setting of the silo the records arrive at.
    /// </summary>
    [Id(15)]
    public int? MaxRecordLength { get; init; }

    /// <summary>
    /// Gets the id the grain gives the model when it is defined: a model deleted and made again under the
    /// same name is another incarnation, so that a silo holding the old definition, or a batch made for
    /// it, is told apart. Null in a definition asked for (the grain sets it) and in one defined before ids were kept.
    /// </summary>
    [Id(16)]
    public string? Incarnation { get; init; }

    /// <summary>Gets a value indicating whether <paramref name="other"/> asks for the same model, whatever the incarnations.</summary>
    /// <param name="other">The other definition.</param>
    /// <returns>True when every setting is the same.</returns>
    public bool SameSettings(ClusterModelDefinition other) => other is not null && this with { Incarnation = null } == other with { Incarnation = null };

    /// <summary>Gets the half-life.</summary>
    public HalfLife HalfLife => new(HalfLifeValue, HalfLifeUnit);

    /// <summary>Gets the model's settings.</summary>
    /// <returns>The settings the core model takes.</returns>
    public ModelSettings ToSettings() => new(Clusters, Dimensions)
    {
        Seed = Seed,
        ReseedRatio = ReseedRatio,
        Repair = Repair,
        SeedingCandidates = SeedingCandidates,
        RefineIterations = RefineIterations,
        SeedingStarts = SeedingStarts,
        SeedingBreaths = SeedingBreaths,
    };

    /// <summary>Gets how the model treats the stream.</summary>
    /// <returns>The options the core model takes.</returns>
    public StreamingModelOptions ToOptions() => new() { SeedingBufferSize = SeedingBufferSize, HalfLife = HalfLife };

    /// <summary>Throws, naming the setting, when one is out of range.</summary>
    public void Validate()
    {
        ToSettings().Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SeedingBufferSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ShardSize);
        ArgumentOutOfRangeException.ThrowIfNegative(SampleSize);
        if (MaxAbsoluteValue is { } limit && !(limit > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAbsoluteValue), limit, "The largest absolute value must be positive.");
        }

        if (MaxRecordLength is { } length)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length, nameof(MaxRecordLength));
        }
        if (!(HalfLifeValue > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(HalfLifeValue), HalfLifeValue, "The half-life must be positive (+∞ for none).");
        }
    }
}
