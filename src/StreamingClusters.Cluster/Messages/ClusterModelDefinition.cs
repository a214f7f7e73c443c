using StreamingClusters.Mixture;
using StreamingClusters.Model;
using StreamingClusters.MStep;
using StreamingClusters.Options;

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
    /// Gets how the columns are put in comparable units: with <see cref="ScalingMode.Standardize"/> the grain
    /// learns each column's mean and spread from the seeding buffer when it seeds, and every silo
    /// standardises its points with them before the E-step.
    /// </summary>
    /// <value>The default value is <see cref="ScalingMode.None"/>.</value>
    [Id(16)]
    public ScalingMode Scaling { get; init; }

    /// <summary>
    /// Gets the centroids the model starts from (seeded from the first point on, with zero weights, as a
    /// single process with <c>InitialCentroids</c>), or null to seed on the seeding buffer.
    /// </summary>
    [Id(17)]
    public ConfiguredCentroids? InitialCentroids { get; init; }

    /// <summary>Gets the model: k-means, or a Gaussian mixture (soft E-step on the silos, the mixture's M-step in the grain).</summary>
    /// <value>The default value is <see cref="ModelKind.KMeans"/>.</value>
    [Id(18)]
    public ModelKind Model { get; init; }

    /// <summary>Gets a mixture's variance floor, relative to each column's variance in the seeding buffer (see <see cref="MixtureOptions.RelativeVarianceFloor"/>).</summary>
    /// <value>The default value is 1e-6.</value>
    [Id(19)]
    public double MixtureVarianceFloor { get; init; } = 1e-6;

    /// <summary>Gets a mixture's seeding starts (see <see cref="MixtureOptions.SeedingStarts"/>).</summary>
    /// <value>The default value is 3.</value>
    [Id(20)]
    public int MixtureSeedingStarts { get; init; } = 3;

    /// <summary>Gets a mixture's batch EM iterations on the seeding buffer at most (see <see cref="MixtureOptions.SeedingIterations"/>).</summary>
    /// <value>The default value is 100.</value>
    [Id(21)]
    public int MixtureSeedingIterations { get; init; } = 100;

    /// <summary>Gets a mixture's seeding tolerance (see <see cref="MixtureOptions.SeedingTolerance"/>).</summary>
    /// <value>The default value is 1e-4.</value>
    [Id(22)]
    public double MixtureSeedingTolerance { get; init; } = 1e-4;

    /// <summary>
    /// Gets the id the grain gives the model when it is defined: a model deleted and made again under the
    /// same name is another incarnation, so that a silo holding the old definition, or a batch made for
    /// it, is told apart. Null in a definition asked for (the grain sets it) and in one defined before ids were kept.
    /// </summary>
    [Id(23)]
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

        // A mixture does not repair, as in a single process.
        Repair = Repair && Model == ModelKind.KMeans,
        SeedingCandidates = SeedingCandidates,
        RefineIterations = RefineIterations,
        SeedingStarts = SeedingStarts,
        SeedingBreaths = SeedingBreaths,
    };

    /// <summary>Gets a mixture's own choices.</summary>
    /// <returns>The options the core mixture takes.</returns>
    public MixtureOptions ToMixtureOptions() => new()
    {
        RelativeVarianceFloor = MixtureVarianceFloor,
        SeedingStarts = MixtureSeedingStarts,
        SeedingIterations = MixtureSeedingIterations,
        SeedingTolerance = MixtureSeedingTolerance,
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

        if (!Enum.IsDefined(Scaling))
        {
            throw new ArgumentOutOfRangeException(nameof(Scaling), Scaling, "The scaling must be none or standardize.");
        }

        if (!Enum.IsDefined(Model))
        {
            throw new ArgumentOutOfRangeException(nameof(Model), Model, "The model must be KMeans or GaussianMixture.");
        }

        if (Model == ModelKind.GaussianMixture)
        {
            ToMixtureOptions().Validate();
            if (Scaling == ScalingMode.Standardize || InitialCentroids is not null)
            {
                throw new ArgumentOutOfRangeException(nameof(Model), "A mixture learns each column's scale and seeds on the seeding buffer: it takes no scaling and no initial centroids.");
            }
        }

        if (InitialCentroids is { } initial)
        {
            if (initial.Values.Length != Clusters * Dimensions || initial.Values.Any(v => !double.IsFinite(v)))
            {
                throw new ArgumentOutOfRangeException(nameof(InitialCentroids), $"The initial centroids must be {Clusters} × {Dimensions} finite values.");
            }

            if (Scaling == ScalingMode.Standardize)
            {
                throw new ArgumentOutOfRangeException(nameof(InitialCentroids), "Initial centroids skip the seeding buffer a standardised model learns its scaling from.");
            }
        }

        if (!(HalfLifeValue > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(HalfLifeValue), HalfLifeValue, "The half-life must be positive (+∞ for none).");
        }
    }
}
