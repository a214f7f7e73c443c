using StreamingClusters.Checkpoints;
using StreamingClusters.EStep;
using StreamingClusters.Ingest;
using StreamingClusters.Mixture;
using StreamingClusters.Model;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Scaling;
using StreamingClusters.Statistics;

namespace StreamingClusters.MStep;

/// <summary>
/// Builds the model stage once the stream's dimension is known: the model (new, configured or
/// restored) with its E-step runner, and the stage's accounting, publishing and checkpoint cadence.
/// The one place that picks the model's class.
/// </summary>
internal static class ModelStageFactory
{
    /// <summary>Builds the stage.</summary>
    /// <param name="parts">The pipeline's parts.</param>
    /// <param name="dimensions">The stream's dimension.</param>
    /// <param name="restored">The checkpoint to go on from (its shape checked), or null.</param>
    /// <returns>The stage.</returns>
    public static ModelStage Create(PipelineParts parts, int dimensions, Checkpoint? restored)
    {
        StreamingClustersOptions options = parts.Options;
        IStreamingModel model = CreateModel(options, dimensions, parts.Ingest, parts.Time, restored);
        var ledger = new SourceLedger(parts.Ingest, restored?.Sources ?? []);
        var publisher = new ModelPublisher(parts.Snapshots, parts.Assignments, new SnapshotBuilder(model, ledger, parts.Ingest.Dimensions, parts.Time));
        CheckpointCadence? checkpoints = parts.Checkpoints is { } store
            ? new CheckpointCadence(store, model, ledger, parts.Time, options.Checkpoint.Interval, parts.Logger)
            : null;
        // The history restored from the checkpoint goes out first, uncounted: it happened before this run.
        parts.Events.Publish(model.RecentEvents);
        var monitor = new ModelStageMonitor(parts.Logger, parts.Metrics, parts.Time, parts.Events);
        if (!model.IsSeeded)
        {
            monitor.AwaitingSeeding(options.Seeding.BufferSize, options.Seeding.IdleTimeout);
        }

        return new ModelStage(model, ledger, publisher, checkpoints, monitor, options.Seeding.IdleTimeout);
    }

    /// <summary>How the model treats the stream under <paramref name="options"/>.</summary>
    /// <param name="options">The pipeline's settings.</param>
    /// <param name="ingest">The ingest whose check every point passed.</param>
    /// <returns>The model's options.</returns>
    public static StreamingModelOptions StreamingOptions(StreamingClustersOptions options, IngestStage ingest) => new()
    {
        SeedingBufferSize = options.Seeding.BufferSize,
        HalfLife = options.ParsedHalfLife,
        SeedingParallelism = options.EffectiveParallelism,

        // Every point reaches the model through the ingest check (finite, at most the ingest's bound), so
        // within the kernels' bound the E-step need not check them again.
        PointsBounded = ingest.MaxAbsoluteValue <= NearestCentroidKernel.BoundedMagnitude,
    };

    private static IStreamingModel CreateModel(StreamingClustersOptions options, int dimensions, IngestStage ingest, TimeProvider time, Checkpoint? restored)
    {
        if (options.ParsedModel == ModelKind.GaussianMixture)
        {
            // Validation refuses scaling and configured centroids with a mixture.
            return CreateMixture(options, dimensions, ingest, time, restored);
        }

        if (options.ParsedScaling == ScalingMode.None)
        {
            return CreateKMeans(options, dimensions, ingest, time, restored);
        }

        // The model sees standardised points; the ingest's bound on them no longer holds, so its E-step checks.
        KMeansStreamingModel model = CreateKMeans(options, dimensions, ingest, time, restored, pointsBounded: false);
        ColumnScaling? scaling = restored?.Scaling is { } state ? ColumnScaling.FromState(state) : null;
        return new ScaledStreamingModel(model, options.Seeding.BufferSize, scaling);
    }

    private static MixtureStreamingModel CreateMixture(StreamingClustersOptions options, int dimensions, IngestStage ingest, TimeProvider time, Checkpoint? restored)
    {
        ModelSettings settings = Settings(options, dimensions) with { Repair = false };
        var mixture = new MixtureOptions
        {
            RelativeVarianceFloor = options.Mixture.VarianceFloor,
            SeedingStarts = options.Mixture.SeedingStarts,
            SeedingIterations = options.Mixture.SeedingIterations,
            SeedingTolerance = options.Mixture.SeedingTolerance,
        };
        IEStepRunner<SoftEStepWork, MixtureStatistics> runner = Runner<SoftEStepWork, MixtureStatistics>(options, dimensions);
        StreamingModelOptions streaming = StreamingOptions(options, ingest);
        if (restored is not null)
        {
            return MixtureStreamingModel.Restore(StateOf(restored), settings, mixture, streaming, runner, time);
        }

        return MixtureStreamingModel.Create(settings, mixture, streaming, runner, time);
    }

    /// <summary>The model's part of a checkpoint (a k-means checkpoint has no mixture section; a mismatch was refused before).</summary>
    private static StreamingModelState StateOf(Checkpoint restored) =>
        new() { Model = restored.Model, Counts = restored.Counts, LastApplied = restored.LastApplied, Mixture = restored.Mixture };

    private static ModelSettings Settings(StreamingClustersOptions options, int dimensions) => new(options.Clusters, dimensions)
    {
        Seed = options.Seed,
        ReseedRatio = options.ReseedRatio,
        Repair = options.Repair,
        SeedingCandidates = options.Seeding.Candidates,
        RefineIterations = options.Seeding.RefineIterations,
        SeedingStarts = options.Seeding.Starts,
        SeedingBreaths = options.Seeding.Breaths,
    };

    /// <summary>The E-step runner: serial, or parallel over <see cref="StreamingClustersOptions.EffectiveParallelism"/> threads (the same bits).</summary>
    private static IEStepRunner<TWork, TStatistics> Runner<TWork, TStatistics>(StreamingClustersOptions options, int dimensions)
        where TWork : struct, IShardWork<TStatistics>
        where TStatistics : class, IShardStatistics<TStatistics>
    {
        // The seeding buffer is applied as one batch: it may pass its size by up to one batch.
        int largestBatch = options.InitialCentroids is null ? options.Seeding.BufferSize + options.BatchSize : options.BatchSize;
        int parallelism = options.EffectiveParallelism;
        return parallelism == 1
            ? new SerialEStep<TWork, TStatistics>(options.Clusters, dimensions, options.ShardSize, largestBatch)
            : new ParallelEStep<TWork, TStatistics>(options.Clusters, dimensions, options.ShardSize, parallelism, largestBatch);
    }

    private static KMeansStreamingModel CreateKMeans(StreamingClustersOptions options, int dimensions, IngestStage ingest, TimeProvider time, Checkpoint? restored, bool pointsBounded = true)
    {
        ModelSettings settings = Settings(options, dimensions);
        IEStepRunner<HardEStepWork, ClusterStatistics> runner = Runner<HardEStepWork, ClusterStatistics>(options, dimensions);
        StreamingModelOptions streaming = StreamingOptions(options, ingest);
        if (!pointsBounded)
        {
            streaming = streaming with { PointsBounded = false };
        }

        if (restored is not null)
        {
            // The shape was checked against the configuration; the options in force are the configured ones.
            return KMeansStreamingModel.Restore(StateOf(restored), settings, streaming, runner, time);
        }

        double[]? centroids = options.InitialCentroids?.SelectMany(c => c).ToArray();
        return KMeansStreamingModel.Create(settings, streaming, runner, time, centroids);
    }
}
