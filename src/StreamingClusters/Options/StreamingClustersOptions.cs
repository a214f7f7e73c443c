using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using StreamingClusters.Checkpoints;
using StreamingClusters.MStep;

namespace StreamingClusters.Options;

/// <summary>
/// The settings of a StreamingClusters pipeline, bound from the <see cref="SectionName"/> section and
/// validated once at start-up; every message names the setting it refuses.
/// </summary>
public sealed class StreamingClustersOptions : IValidatableObject
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "StreamingClusters";

    /// <summary>Gets or sets the number of clusters k.</summary>
    /// <value>The default value is 8.</value>
    [Range(1, 65_536)]
    public int Clusters { get; set; } = 8;

    /// <summary>Gets or sets the dimension d of the points; 0 takes it from the first valid record.</summary>
    /// <value>The default value is 0.</value>
    [Range(0, 1_000_000)]
    public int Dimensions { get; set; }

    /// <summary>Gets or sets the number of points B that closes a mini-batch.</summary>
    /// <value>The default value is 1024.</value>
    [Range(1, 16_777_216)]
    public int BatchSize { get; set; } = 1024;

    /// <summary>
    /// Gets or sets the longest a started mini-batch waits for more points before it closes. In
    /// configuration, a duration: <c>500ms</c>, <c>1s</c>, <c>10m</c>, <c>2h</c> or <c>00:00:01</c>.
    /// </summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan BatchTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets how fast old points fade: a count with its unit (<c>20000points</c>,
    /// <c>50batches</c>), a duration (<c>10m</c>), or <c>none</c> for exact running means.
    /// </summary>
    /// <value>The default value is <c>none</c>.</value>
    public string HalfLife { get; set; } = "none";

    /// <summary>
    /// Gets or sets how columns are put in comparable units before the E-step: <c>none</c> takes them as
    /// they come; <c>standardize</c> makes each (x − mean) / std with the mean and standard deviation of
    /// the seeding buffer, then fixed (a constant column is only centred). Centroids are reported in the
    /// input's units either way; squared distances and inertia are in the space the model assigns in.
    /// </summary>
    /// <value>The default value is <c>none</c>.</value>
    public string Scaling { get; set; } = "none";

    /// <summary>
    /// Gets or sets the model learnt: <c>KMeans</c> (hard assignments to the nearest centroid) or
    /// <c>GaussianMixture</c> (soft assignments to components with diagonal covariances and learnt priors;
    /// scores are log-likelihoods).
    /// </summary>
    /// <value>The default value is <c>KMeans</c>.</value>
    public string Model { get; set; } = "KMeans";

    /// <summary>Gets or sets the Gaussian mixture's choices (used when <see cref="Model"/> is <c>GaussianMixture</c>).</summary>
    [ValidateObjectMembers]
    public MixtureModelOptions Mixture { get; set; } = new();

    /// <summary>Gets or sets the seed of the run's random generator.</summary>
    /// <value>The default value is 0.</value>
    public ulong Seed { get; set; }

    /// <summary>
    /// Gets or sets the fraction of the largest cluster weight below which a cluster is reseeded from
    /// a recent point; 0 turns reseeding off.
    /// </summary>
    /// <value>The default value is 0.01.</value>
    public double ReseedRatio { get; set; } = 0.01;

    /// <summary>
    /// Gets or sets a value indicating whether the model repairs local optima while it runs: when the
    /// gain is larger than the cost, the two clusters whose merge costs least merge (or a cluster whose
    /// points have stopped arriving is dropped) and a new one is split off where a group is arriving or
    /// beside the cluster of largest error (a <c>removed</c> and a <c>splitOff</c> cluster event).
    /// </summary>
    /// <value>The default value is <see langword="true"/>. K-means only: the Gaussian mixture reseeds starved components but has no repair.</value>
    public bool Repair { get; set; } = true;

    /// <summary>Gets or sets how the centroids are seeded.</summary>
    [ValidateObjectMembers]
    public SeedingOptions Seeding { get; set; } = new();

    /// <summary>Gets or sets the starting centroids (k arrays of d values); when set, no seeding takes place.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
#pragma warning disable CA1819 // Bound from configuration as an array of arrays.
    public double[][]? InitialCentroids { get; set; }
#pragma warning restore CA1819

    /// <summary>Gets or sets how many E-step shards run at once; 0 uses every core.</summary>
    /// <value>The default value is 0.</value>
    [Range(0, 1024)]
    public int Parallelism { get; set; }

    /// <summary>
    /// Gets or sets the number of points per E-step shard. Shards are cut at fixed offsets of the batch
    /// and merged in order, so results do not depend on <see cref="Parallelism"/>.
    /// </summary>
    /// <value>The default value is 256.</value>
    [Range(1, 16_777_216)]
    public int ShardSize { get; set; } = 256;

    /// <summary>Gets or sets the number of points a source packs into one channel block.</summary>
    /// <value>The default value is 256.</value>
    [Range(1, 1_048_576)]
    public int BlockSize { get; set; } = 256;

    /// <summary>Gets or sets the capacity, in points, of the channel between the sources and the model.</summary>
    /// <value>The default value is 65536.</value>
    [Range(1, 1_073_741_824)]
    public int ChannelCapacity { get; set; } = 65_536;

    /// <summary>Gets or sets the longest record, in characters, that is parsed; a longer one is rejected.</summary>
    /// <value>The default value is 65536.</value>
    [Range(16, 67_108_864)]
    public int MaxRecordLength { get; set; } = 65_536;

    /// <summary>
    /// Gets or sets the largest absolute coordinate accepted; a larger one is rejected. Squared distances
    /// stay finite in single precision while d · (2 · this)² &lt; 3.4e38: with the default for any d up to
    /// 85 million, at the largest setting (1e18) only up to d = 85.
    /// </summary>
    /// <value>The default value is 1e15.</value>
    [Range(1.0, 1e18)]
    public double MaxAbsoluteValue { get; set; } = 1e15;

    /// <summary>Gets or sets the file that receives rejected records as JSON lines; empty keeps them in the log only.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? DeadLetterPath { get; set; }

    /// <summary>Gets or sets the file that receives the final snapshot as JSON; empty writes none.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? SnapshotPath { get; set; }

    /// <summary>Gets or sets where and how often the model's state is saved for restarts.</summary>
    public CheckpointOptions Checkpoint { get; set; } = new();

    /// <summary>
    /// Gets or sets whether the pipeline drains and finishes once every configured source has ended;
    /// otherwise it runs, accepting points from the in-process writer, until the host stops.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool StopWhenSourcesEnd { get; set; }

    /// <summary>Gets or sets the sources the pipeline reads from.</summary>
    public IList<SourceOptions> Sources { get; set; } = [];

    /// <summary>Gets the parsed <see cref="HalfLife"/>.</summary>
    /// <exception cref="FormatException">The setting is not a half-life (validation refuses it first).</exception>
    public HalfLife ParsedHalfLife => MStep.HalfLife.Parse(HalfLife);

    /// <summary>Gets the parsed <see cref="Scaling"/>.</summary>
    /// <exception cref="FormatException">The setting is not a scaling (validation refuses it first).</exception>
    public ScalingMode ParsedScaling => ScalingModes.TryParse(Scaling, out ScalingMode mode) ? mode : throw new FormatException($"'{Scaling}' is not a scaling.");

    /// <summary>Gets the parsed <see cref="Model"/>.</summary>
    /// <exception cref="FormatException">The setting is not a model (validation refuses it first).</exception>
    public ModelKind ParsedModel => ModelKinds.TryParse(Model, out ModelKind kind) ? kind : throw new FormatException($"'{Model}' is not a model.");

    /// <summary>Gets the number of E-step shards run at once.</summary>
    public int EffectiveParallelism => Parallelism == 0 ? Environment.ProcessorCount : Parallelism;

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!MStep.HalfLife.TryParse(HalfLife, out _))
        {
            yield return new ValidationResult(
                $"StreamingClusters:HalfLife '{HalfLife}' is not a half-life: give a count with its unit (20000points, 50batches), a duration (10m, 30s, 2h) or 'none'.",
                [nameof(HalfLife)]);
        }

        if (!ScalingModes.TryParse(Scaling, out ScalingMode scaling))
        {
            yield return new ValidationResult(
                $"StreamingClusters:Scaling '{Scaling}' is not a scaling: give 'none' (columns as they come) or 'standardize' (each column to mean 0 and standard deviation 1, learnt from the seeding buffer).",
                [nameof(Scaling)]);
        }
        else if (scaling == ScalingMode.Standardize && InitialCentroids is not null)
        {
            yield return new ValidationResult(
                "StreamingClusters:Scaling 'standardize' learns each column's mean and spread from the seeding buffer, which StreamingClusters:InitialCentroids skips: give one or the other.",
                [nameof(Scaling), nameof(InitialCentroids)]);
        }

        if (!ModelKinds.TryParse(Model, out ModelKind model))
        {
            yield return new ValidationResult(
                $"StreamingClusters:Model '{Model}' is not a model: give 'KMeans' (or kmeans) or 'GaussianMixture' (or gmm).",
                [nameof(Model)]);
        }
        else if (model == ModelKind.GaussianMixture)
        {
            if (InitialCentroids is not null)
            {
                yield return new ValidationResult(
                    "StreamingClusters:InitialCentroids gives centroids only, but StreamingClusters:Model 'GaussianMixture' also needs variances and priors: it seeds all three from the seeding buffer; remove one of the two.",
                    [nameof(InitialCentroids), nameof(Model)]);
            }

            if (ScalingModes.TryParse(Scaling, out ScalingMode mixtureScaling) && mixtureScaling == ScalingMode.Standardize)
            {
                yield return new ValidationResult(
                    "StreamingClusters:Scaling 'standardize' does not apply to StreamingClusters:Model 'GaussianMixture': its per-column variances learn each column's scale, and its log-likelihoods are in the input's units; give 'none'.",
                    [nameof(Scaling), nameof(Model)]);
            }
        }

        if (!(ReseedRatio >= 0 && ReseedRatio < 1))
        {
            yield return new ValidationResult($"StreamingClusters:ReseedRatio must be in [0, 1) (got {ReseedRatio}).", [nameof(ReseedRatio)]);
        }

        if (BatchTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult($"StreamingClusters:BatchTimeout must be positive (got {BatchTimeout}).", [nameof(BatchTimeout)]);
        }

        if (ChannelCapacity < BlockSize)
        {
            yield return new ValidationResult(
                $"StreamingClusters:ChannelCapacity ({ChannelCapacity} points) must hold at least one block of StreamingClusters:BlockSize ({BlockSize}) points.",
                [nameof(ChannelCapacity)]);
        }

        if (InitialCentroids is { } initial)
        {
            if (initial.Length != Clusters)
            {
                yield return new ValidationResult(
                    $"StreamingClusters:InitialCentroids has {initial.Length} centroids but StreamingClusters:Clusters is {Clusters}.",
                    [nameof(InitialCentroids)]);
            }

            for (int c = 0; c < initial.Length; c++)
            {
                double[]? mu = initial[c];
                if (mu is null || mu.Length == 0 || (Dimensions > 0 && mu.Length != Dimensions) || mu.Length != initial[0]?.Length)
                {
                    yield return new ValidationResult(
                        $"StreamingClusters:InitialCentroids:{c} must have {(Dimensions > 0 ? Dimensions : initial[0]?.Length ?? 0)} values (StreamingClusters:Dimensions).",
                        [nameof(InitialCentroids)]);
                }
                else if (mu.Any(v => !double.IsFinite(v)))
                {
                    yield return new ValidationResult($"StreamingClusters:InitialCentroids:{c} has a value that is not a finite number.", [nameof(InitialCentroids)]);
                }
            }
        }
        else if (Seeding.BufferSize < Clusters)
        {
            yield return new ValidationResult(
                $"StreamingClusters:Seeding:BufferSize ({Seeding.BufferSize}) must be at least StreamingClusters:Clusters ({Clusters}).",
                [nameof(Seeding)]);
        }

        if (Seeding.IdleTimeout < TimeSpan.Zero)
        {
            yield return new ValidationResult($"StreamingClusters:Seeding:IdleTimeout must not be negative (got {Seeding.IdleTimeout}).", [nameof(Seeding)]);
        }

        if (Checkpoint.Interval < TimeSpan.Zero)
        {
            yield return new ValidationResult($"StreamingClusters:Checkpoint:Interval must not be negative (got {Checkpoint.Interval}).", [nameof(Checkpoint)]);
        }

        foreach (var (path, name) in new[] { (DeadLetterPath, nameof(DeadLetterPath)), (SnapshotPath, nameof(SnapshotPath)), (Checkpoint.Path, "Checkpoint:Path") })
        {
            if (!string.IsNullOrWhiteSpace(path) && !PathChecks.ParentExists(path))
            {
                yield return new ValidationResult(
                    $"StreamingClusters:{name} '{path}' is in a directory that does not exist.", [name]);
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Sources.Count; i++)
        {
            foreach (string problem in Sources[i].Problems(i))
            {
                yield return new ValidationResult(problem, [nameof(Sources)]);
            }

            if (!names.Add(Sources[i].EffectiveName(i)))
            {
                yield return new ValidationResult(
                    $"StreamingClusters:Sources:{i}:Name '{Sources[i].EffectiveName(i)}' is used by two sources; names must be unique.", [nameof(Sources)]);
            }
        }
    }
}
