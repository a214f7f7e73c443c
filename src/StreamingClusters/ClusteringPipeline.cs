using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging;
using StreamingClusters.Batching;
using StreamingClusters.Checkpoints;
using StreamingClusters.Diagnostics;
using StreamingClusters.EStep;
using StreamingClusters.Ingest;
using StreamingClusters.MStep;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Sinks;
using StreamingClusters.Sources;

namespace StreamingClusters;

/// <summary>
/// Wires the stages in flow order:
/// sources → ingest (validate, pack blocks) → bounded channel → batcher (B points or T) → E-step
/// (parallel shards, merged in order) → M-step (single writer) → snapshots and assignments.
/// Stopping drains: the sources stop reading and flush, the channel is closed, every accepted point is
/// applied, the final snapshot is published, and then the observables complete. A drain that is
/// abandoned (the host's shutdown time-out passed) stops at the next batch boundary instead: the rest is
/// counted, not applied, and the final snapshot is of what was applied.
/// </summary>
public sealed class ClusteringPipeline : IClusterScorer
{
    private readonly StreamingClustersOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SnapshotPublisher _snapshots;
    private readonly AssignmentPublisher _assignments;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CheckpointStore? _checkpoints;
    private ModelStage? _model;
    private Checkpoint? _restored;

    /// <summary>Creates a pipeline; nothing runs until <see cref="RunAsync(IReadOnlyList{IPointSource}, bool, CancellationToken)"/>.</summary>
    /// <param name="options">Validated settings.</param>
    /// <param name="deadLetters">Where rejected records go.</param>
    /// <param name="time">The clock for batch time-outs and time half-lives.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="scheduler">Where snapshot subscribers are called; the thread pool by default, at most once a millisecond per subscriber (with the latest snapshot).</param>
    /// <param name="metrics">The instruments to record into; a meter of its own by default.</param>
    public ClusteringPipeline(
        StreamingClustersOptions options,
        IDeadLetterSink deadLetters,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        IScheduler? scheduler = null,
        StreamingClustersMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options;
        _time = time;
        _logger = loggerFactory.CreateLogger<ClusteringPipeline>();
        Ingest = new IngestStage(options, deadLetters);
        Writer = new PointWriter(Ingest, time);
        // On the thread pool, a subscriber is called at most once a millisecond: a work item per
        // mini-batch would keep an idle pool thread spinning for the next one, a core's worth of CPU.
        // A scheduler given by the caller gets every snapshot its subscriber keeps up with.
        _snapshots = scheduler is null
            ? new SnapshotPublisher(DefaultScheduler.Instance, _logger, DefaultSnapshotInterval)
            : new SnapshotPublisher(scheduler, _logger);
        _assignments = new AssignmentPublisher(64, _logger);
        Metrics = metrics ?? new StreamingClustersMetrics();
        Metrics.Attach(Ingest, () => _snapshots.Latest);
        if (!string.IsNullOrWhiteSpace(options.Checkpoint.Path))
        {
            _checkpoints = new CheckpointStore(options.Checkpoint.Path, _logger, CheckpointFileSystem.Real, Metrics) { StageReached = options.Checkpoint.StageReached };
            Metrics.AttachCheckpoints(() => _checkpoints.Status);
        }
    }

    /// <summary>The least time between two calls to one snapshot subscriber on the default scheduler.</summary>
    internal static readonly TimeSpan DefaultSnapshotInterval = TimeSpan.FromMilliseconds(1);

    /// <summary>Gets the model stage, once the stream's dimension is known (for tests).</summary>
    internal ModelStage? ModelStage => _model;

    /// <summary>Gets how checkpoint writes are going, or null when checkpoints are off.</summary>
    public CheckpointStatus? CheckpointStatus => _checkpoints?.Status;

    /// <summary>Gets the pipeline's instruments.</summary>
    public StreamingClustersMetrics Metrics { get; }

    /// <summary>Gets the ingest stage: the channel and the per-source accounting.</summary>
    public IngestStage Ingest { get; }

    /// <summary>Gets the in-process writer.</summary>
    public IPointWriter Writer { get; }

    /// <summary>Gets every new model version; new subscribers get the latest at once.</summary>
    public IObservable<CentroidSnapshot> Snapshots => _snapshots.Snapshots;

    /// <summary>Gets each batch's assignments (cluster and squared distance of every point).</summary>
    public IObservable<AssignmentBlock> Assignments => _assignments.Assignments;

    /// <summary>Gets the latest snapshot, or null before the model is seeded.</summary>
    public CentroidSnapshot? Latest => _snapshots.Latest;

    /// <summary>Gets a task that completes when the pipeline has drained and published its final snapshot.</summary>
    public Task Completion => _completion.Task;

    /// <inheritdoc/>
    public long Version => _model?.Current?.Version ?? -1;

    /// <inheritdoc/>
    public long Score(ReadOnlySpan<float> points, Span<int> clusters, Span<float> squaredDistances)
    {
        CentroidSet model = _model?.Current ?? throw new InvalidOperationException("The model is not seeded yet.");
        HardEStep.Assign(model, points, clusters, squaredDistances);
        return model.Version;
    }

    /// <summary>Gets a value indicating whether the last run's drain was abandoned before every accepted point was applied.</summary>
    public bool DrainAbandoned { get; private set; }

    /// <summary>Gets how many accepted points the last run left unapplied because its drain was abandoned.</summary>
    public long PointsLeftUnapplied { get; private set; }

    /// <summary>Runs the pipeline until it has drained.</summary>
    /// <param name="sources">The sources to read.</param>
    /// <param name="stopWhenSourcesEnd">Whether to drain and finish once every source has ended (the in-process writer then closes too).</param>
    /// <param name="stoppingToken">Stops the sources; what was accepted is still applied.</param>
    /// <returns>A task that completes after the final snapshot; it fails if a stage or a source failed.</returns>
    public Task RunAsync(IReadOnlyList<IPointSource> sources, bool stopWhenSourcesEnd, CancellationToken stoppingToken) =>
        RunAsync(sources, stopWhenSourcesEnd, stoppingToken, CancellationToken.None);

    /// <summary>Runs the pipeline until it has drained, or until its drain is abandoned.</summary>
    /// <param name="sources">The sources to read.</param>
    /// <param name="stopWhenSourcesEnd">Whether to drain and finish once every source has ended (the in-process writer then closes too).</param>
    /// <param name="stoppingToken">Stops the sources; what was accepted is still applied.</param>
    /// <param name="abandonDrain">
    /// Gives up the drain (a shutdown time-out has passed): the model stops at the next batch boundary, the
    /// points still queued are counted in <see cref="PointsLeftUnapplied"/> and not applied, and the final
    /// snapshot of what was applied is still published.
    /// </param>
    /// <returns>A task that completes after the final snapshot; it fails if a stage or a source failed.</returns>
    public async Task RunAsync(IReadOnlyList<IPointSource> sources, bool stopWhenSourcesEnd, CancellationToken stoppingToken, CancellationToken abandonDrain)
    {
        ArgumentNullException.ThrowIfNull(sources);
        try
        {
            _restored = Restore();
        }
        catch (CheckpointException ex)
        {
            Fail(ex);
            throw;
        }

        using var abort = new CancellationTokenSource();
        Task<Exception[]> ingest = RunSourcesAsync(sources, stopWhenSourcesEnd, stoppingToken);
        try
        {
            int? dimensions = await DimensionsAsync().ConfigureAwait(false);
            if (dimensions is int d)
            {
                _model = new ModelStage(_options, d, _time, Ingest, _snapshots, _assignments, Metrics, _checkpoints, _restored, _logger);
                // The model takes each batch on the batcher's thread: a hand-off per batch between two
                // threads cost more than the batching itself.
                var batcher = new Batcher(Ingest, _model.Take, _model.PublishPending, d, _options.BatchSize, _options.BatchTimeout, _time);
                try
                {
                    await batcher.RunAsync(abort.Token, abandonDrain).ConfigureAwait(false);
                    if (abandonDrain.IsCancellationRequested)
                    {
                        DrainAbandoned = true;
                        PointsLeftUnapplied = batcher.Abandoned + _model.CompleteAbandoned();
                        PipelineLog.DrainAbandoned(_logger, PointsLeftUnapplied);
                    }
                    else
                    {
                        _model.Complete();
                    }
                }
                finally
                {
                    _model.Stop();
                }
            }

            Exception[] sourceFailures = await ingest.ConfigureAwait(false);
            await Ingest.DeadLetters.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            if (sourceFailures.Length > 0)
            {
                throw new AggregateException("One or more sources failed; what they delivered was applied.", sourceFailures);
            }

            _snapshots.Complete();
            _assignments.Complete();
            _completion.TrySetResult();
        }
        catch (Exception ex)
        {
            await abort.CancelAsync().ConfigureAwait(false);
            Fail(ex);
            throw;
        }
    }

    /// <summary>Ends every stage and stream with <paramref name="error"/>.</summary>
    private void Fail(Exception error)
    {
        Ingest.Complete(error);
        _snapshots.Complete(error);
        _assignments.Complete(error);
        _completion.TrySetException(error);
    }

    /// <summary>
    /// Loads the checkpoint, if one is configured and not refused on purpose, checks its shape against
    /// the configuration, and restores each source's totals before any source starts.
    /// </summary>
    private Checkpoint? Restore()
    {
        if (_checkpoints is null || _options.Checkpoint.StartFresh)
        {
            return null;
        }

        Checkpoint? checkpoint = _checkpoints.Load();
        if (checkpoint is null)
        {
            return null;
        }

        int k = checkpoint.Model.Settings.Clusters;
        int d = checkpoint.Model.Settings.Dimensions;
        if (k != _options.Clusters || (_options.Dimensions != 0 && d != _options.Dimensions) || (Ingest.Dimensions.Dimensions != 0 && Ingest.Dimensions.Dimensions != d))
        {
            throw new CheckpointException(
                $"The checkpoint '{_checkpoints.Path}' holds a model of k = {k}, d = {d}, but the configuration asks for k = {_options.Clusters}, d = {(_options.Dimensions == 0 ? "from the data" : _options.Dimensions)} " +
                "(StreamingClusters:Clusters, StreamingClusters:Dimensions). Nothing was started; move the checkpoint away or start fresh on purpose with StreamingClusters:Checkpoint:StartFresh=true (--fresh).");
        }

        Ingest.Dimensions.Propose(d);
        foreach (SourceCheckpoint source in checkpoint.Sources)
        {
            Ingest.Counters(source.Name).Restore(source.Records, source.Rejected, source.Applied);
        }

        PipelineLog.Restored(_logger, _checkpoints.Path, checkpoint.Model.Version, checkpoint.Model.PointsApplied);
        return checkpoint;
    }

    /// <summary>Waits for the dimension; null when the input ended without a single valid record.</summary>
    private async Task<int?> DimensionsAsync()
    {
        try
        {
            return await Ingest.Dimensions.Known.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            PipelineLog.NoValidRecords(_logger);
            return null;
        }
    }

    /// <summary>Runs every source; closes the ingest when they have ended (or on stop) and flushed.</summary>
    private async Task<Exception[]> RunSourcesAsync(IReadOnlyList<IPointSource> sources, bool stopWhenSourcesEnd, CancellationToken stoppingToken)
    {
        var failures = new List<Exception>();
        Task[] running = [.. sources.Select(source => Task.Run(() => RunSourceAsync(source, failures, stoppingToken), CancellationToken.None))];
        await Task.WhenAll(running).ConfigureAwait(false);
        if (!stopWhenSourcesEnd)
        {
            // The in-process writer stays open until the host stops.
            await WhenCancelled(stoppingToken).ConfigureAwait(false);
        }

        PipelineLog.Draining(_logger);
        Ingest.Complete();
        lock (failures)
        {
            return [.. failures];
        }
    }

    private async Task RunSourceAsync(IPointSource source, List<Exception> failures, CancellationToken stoppingToken)
    {
        try
        {
            SourceIngest ingest = Ingest.Open(source.Name);
            if (_restored?.Sources.FirstOrDefault(s => s.Name == source.Name) is { Position: >= 0 } resume)
            {
                source.ResumePosition = resume.Position;
                ingest.ResumeAt(resume.Records, resume.Position);
            }

            await source.RunAsync(ingest, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped: the source flushed what it had read.
        }
#pragma warning disable CA1031 // A failing source is reported and the others go on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            PipelineLog.SourceFailed(_logger, ex, source.Name);
            lock (failures)
            {
                failures.Add(new InvalidOperationException($"Source '{source.Name}' failed: {ex.Message}", ex));
            }
        }
    }

    private static Task WhenCancelled(CancellationToken token)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => cancelled.TrySetResult());
        return cancelled.Task;
    }
}
