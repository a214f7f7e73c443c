using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging;
using StreamingClusters.Batching;
using StreamingClusters.Checkpoints;
using StreamingClusters.Diagnostics;
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
    private readonly PipelineParts _parts;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The model stage, once the stream's dimension is known; read by scorers on any thread.</summary>
    private volatile ModelStage? _model;

    /// <summary>Set once the checkpoint has been loaded and checked (by <see cref="LoadCheckpoint"/>, or else by the run).</summary>
    private bool _checkpointLoaded;

    /// <summary>The checkpoint the run goes on from, or null to start afresh; meaningful once <see cref="_checkpointLoaded"/> is set.</summary>
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
        : this(PipelineParts.Create(
            options ?? throw new ArgumentNullException(nameof(options)),
            deadLetters,
            time ?? throw new ArgumentNullException(nameof(time)),
            loggerFactory ?? throw new ArgumentNullException(nameof(loggerFactory)),
            scheduler,
            metrics,
            CheckpointFileSystem.Real))
    {
    }

    /// <summary>Creates a pipeline of parts made elsewhere.</summary>
    /// <param name="parts">The parts.</param>
    internal ClusteringPipeline(PipelineParts parts)
    {
        _parts = parts;
    }

    /// <summary>Gets how checkpoint writes are going, or null when checkpoints are off.</summary>
    public CheckpointStatus? CheckpointStatus => _parts.Checkpoints?.Status;

    /// <summary>Gets the pipeline's instruments.</summary>
    public StreamingClustersMetrics Metrics => _parts.Metrics;

    /// <summary>Gets the ingest stage: the channel and the per-source accounting.</summary>
    public IngestStage Ingest => _parts.Ingest;

    /// <summary>Gets the in-process writer.</summary>
    public IPointWriter Writer => _parts.Writer;

    /// <summary>Gets every new model version; new subscribers get the latest at once.</summary>
    public IObservable<CentroidSnapshot> Snapshots => _parts.Snapshots.Snapshots;

    /// <summary>Gets each batch's assignments (cluster and score of every point: squared distance, or log-likelihood for a mixture).</summary>
    public IObservable<AssignmentBlock> Assignments => _parts.Assignments.Assignments;

    /// <summary>Gets the changes of the clusters' ids (seeded, split off, removed, reseeded): recent history first, then each new one.</summary>
    public IObservable<Model.ClusterEvent> Events => _parts.Events.Events;

    /// <summary>Gets the latest snapshot, or null before the model is seeded.</summary>
    public CentroidSnapshot? Latest => _parts.Snapshots.Latest;

    /// <summary>Gets a task that completes when the pipeline has drained and published its final snapshot.</summary>
    public Task Completion => _completion.Task;

    /// <inheritdoc/>
    public long Version => _model?.Model.CurrentVersion ?? -1;

    /// <summary>Gets how far the model is from its seeding while it waits to seed; null before the first point's dimension is known and once seeded.</summary>
    public SeedingProgress? Seeding => _model?.Model is { IsSeeded: false } model ? new SeedingProgress(model.BufferedPoints, _parts.Options.Seeding.BufferSize) : null;

    /// <inheritdoc/>
    public long Score(ReadOnlySpan<float> points, Span<int> clusters, Span<float> squaredDistances) =>
        (_model?.Model ?? throw new InvalidOperationException("The model is not seeded yet.")).Score(points, clusters, squaredDistances);

    /// <summary>Gets the model's kind of score; before the model is made (the first point's dimension unknown), the configured model's.</summary>
    public Model.ScoreKind ScoreKind =>
        _model?.Model.ScoreKind ?? (_parts.Options.ParsedModel == ModelKind.GaussianMixture ? Model.ScoreKind.LogLikelihood : Model.ScoreKind.SquaredDistance);

    /// <inheritdoc/>
    public long Score(ReadOnlySpan<float> points, Span<int> clusters, Span<float> scores, Span<float> responsibilities) =>
        (_model?.Model ?? throw new InvalidOperationException("The model is not seeded yet.")).Score(points, clusters, scores, responsibilities);

    /// <summary>Gets a value indicating whether the last run's drain was abandoned before every accepted point was applied.</summary>
    public bool DrainAbandoned { get; private set; }

    /// <summary>Gets how many accepted points the last run left unapplied because its drain was abandoned.</summary>
    public long PointsLeftUnapplied { get; private set; }

    /// <summary>
    /// Loads the checkpoint the run goes on from and checks that it fits the settings, before the run (which
    /// otherwise does so as it starts), so that whoever offers the model can refuse one whose checkpoint is
    /// of another shape before anyone uses it. Call once, before <see cref="RunAsync(IReadOnlyList{IPointSource}, bool, CancellationToken)"/>.
    /// </summary>
    /// <param name="section">The section the settings are named under in a refusal, <c>StreamingClusters:Models:{name}</c> for a named model.</param>
    /// <exception cref="CheckpointException">The checkpoint does not fit the settings; the pipeline is not to be run.</exception>
    public void LoadCheckpoint(string section)
    {
        ArgumentException.ThrowIfNullOrEmpty(section);
        if (_checkpointLoaded)
        {
            throw new InvalidOperationException("The checkpoint is loaded once, before the run.");
        }

        _restored = CheckpointRestore.Load(_parts.Checkpoints, _parts.Options, Ingest, _parts.Logger, section);
        _checkpointLoaded = true;
        PublishRestored(_restored);
    }

    /// <summary>
    /// Makes the model stage from a restored checkpoint at once and publishes its snapshot, so that a
    /// restored model is served (GET /model, scores, a new stream subscriber) before any new point
    /// arrives, as it was served when the run that wrote the checkpoint ended.
    /// </summary>
    private void PublishRestored(Checkpoint? restored)
    {
        if (restored is null || _model is not null)
        {
            return;
        }

        ModelStage model = ModelStageFactory.Create(_parts, restored.Model.Settings.Dimensions, restored);
        _model = model;
        model.PublishRestored();
    }

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
        Checkpoint? restored = _restored;
        try
        {
            if (!_checkpointLoaded)
            {
                restored = CheckpointRestore.Load(_parts.Checkpoints, _parts.Options, Ingest, _parts.Logger);
                PublishRestored(restored);
            }
        }
        catch (CheckpointException ex)
        {
            Fail(ex);
            throw;
        }

        using var abort = new CancellationTokenSource();
        Task<Exception[]> ingest = SourceRunner.RunAsync(sources, Ingest, restored?.Sources ?? [], stopWhenSourcesEnd, _parts.Logger, stoppingToken);
        try
        {
            int? dimensions = await DimensionsAsync().ConfigureAwait(false);
            if (dimensions is int d)
            {
                // A restored model's stage was made as the checkpoint was loaded (its snapshot published then).
                ModelStage model = _model ??= ModelStageFactory.Create(_parts, d, restored);
                await RunModelAsync(model, d, abort.Token, abandonDrain).ConfigureAwait(false);
            }

            Exception[] sourceFailures = await ingest.ConfigureAwait(false);
            await Ingest.DeadLetters.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            if (sourceFailures.Length > 0)
            {
                throw new AggregateException("One or more sources failed; what they delivered was applied.", sourceFailures);
            }

            _parts.Snapshots.Complete();
            _parts.Assignments.Complete();
            _parts.Events.Complete();
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
        _parts.Snapshots.Complete(error);
        _parts.Assignments.Complete(error);
        _parts.Events.Complete(error);
        _completion.TrySetException(error);
    }

    /// <summary>
    /// Runs the batcher into the model stage until the input has ended (or the drain is abandoned), then
    /// completes the stage. The model takes each batch on the batcher's thread: a hand-off per batch
    /// between two threads cost more than the batching itself.
    /// </summary>
    private async Task RunModelAsync(ModelStage model, int dimensions, CancellationToken abort, CancellationToken abandonDrain)
    {
        StreamingClustersOptions options = _parts.Options;
        var batcher = new Batcher(Ingest, model, dimensions, options.BatchSize, options.BatchTimeout, _parts.Time);
        try
        {
            await batcher.RunAsync(abort, abandonDrain).ConfigureAwait(false);
            if (abandonDrain.IsCancellationRequested)
            {
                DrainAbandoned = true;
                PointsLeftUnapplied = batcher.Abandoned + model.CompleteAbandoned();
                PipelineLog.DrainAbandoned(_parts.Logger, PointsLeftUnapplied);
            }
            else
            {
                model.Complete();
            }
        }
        finally
        {
            model.Stop();
        }
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
            PipelineLog.NoValidRecords(_parts.Logger);
            return null;
        }
    }
}
