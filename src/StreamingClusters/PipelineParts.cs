using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging;
using StreamingClusters.Checkpoints;
using StreamingClusters.Diagnostics;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Sinks;

namespace StreamingClusters;

/// <summary>The parts a <see cref="ClusteringPipeline"/> runs, made before it starts; the model stage is made from them once the dimension is known.</summary>
internal sealed class PipelineParts
{
    /// <summary>The least time between two calls to one snapshot subscriber on the default scheduler.</summary>
    internal static readonly TimeSpan DefaultSnapshotInterval = TimeSpan.FromMilliseconds(1);

    public required StreamingClustersOptions Options { get; init; }

    public required TimeProvider Time { get; init; }

    public required ILogger Logger { get; init; }

    public required IngestStage Ingest { get; init; }

    public required PointWriter Writer { get; init; }

    public required SnapshotPublisher Snapshots { get; init; }

    public required AssignmentPublisher Assignments { get; init; }

    public required ClusterEventPublisher Events { get; init; }

    public required StreamingClustersMetrics Metrics { get; init; }

    /// <summary>Gets where checkpoints go, or null when they are off.</summary>
    public CheckpointStore? Checkpoints { get; init; }

    /// <summary>Makes the parts of a pipeline.</summary>
    /// <param name="options">Validated settings.</param>
    /// <param name="deadLetters">Where rejected records go.</param>
    /// <param name="time">The clock.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="scheduler">Where snapshot subscribers are called, or null for the thread pool.</param>
    /// <param name="metrics">The instruments, or null for a meter of their own.</param>
    /// <param name="files">The file system checkpoints are written through.</param>
    /// <returns>The parts.</returns>
    public static PipelineParts Create(
        StreamingClustersOptions options,
        IDeadLetterSink deadLetters,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        IScheduler? scheduler,
        StreamingClustersMetrics? metrics,
        CheckpointFileSystem files)
    {
        ILogger logger = loggerFactory.CreateLogger<ClusteringPipeline>();
        var ingest = new IngestStage(options, deadLetters);

        // On the thread pool, a subscriber is called at most once a millisecond: a work item per
        // mini-batch would keep an idle pool thread spinning for the next one, a core's worth of CPU.
        // A scheduler given by the caller gets every snapshot its subscriber keeps up with.
        SnapshotPublisher snapshots = scheduler is null
            ? new SnapshotPublisher(DefaultScheduler.Instance, logger, DefaultSnapshotInterval)
            : new SnapshotPublisher(scheduler, logger);
        metrics ??= new StreamingClustersMetrics();
        metrics.Attach(ingest, () => snapshots.Latest);
        CheckpointStore? checkpoints = null;
        if (!string.IsNullOrWhiteSpace(options.Checkpoint.Path))
        {
            checkpoints = new CheckpointStore(options.Checkpoint.Path, logger, files, metrics) { StageReached = options.Checkpoint.StageReached };
            metrics.AttachCheckpoints(() => checkpoints.Status);
        }

        return new PipelineParts
        {
            Options = options,
            Time = time,
            Logger = logger,
            Ingest = ingest,
            Writer = new PointWriter(ingest, time),
            Snapshots = snapshots,
            Assignments = new AssignmentPublisher(64, logger),
            Events = new ClusterEventPublisher(scheduler ?? DefaultScheduler.Instance),
            Metrics = metrics,
            Checkpoints = checkpoints,
        };
    }
}
