using System.Globalization;
using Microsoft.Extensions.Logging;
using StreamingClusters.Batching;
using StreamingClusters.Checkpoints;
using StreamingClusters.Diagnostics;
using StreamingClusters.EStep;
using StreamingClusters.Ingest;
using StreamingClusters.Model;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Sinks;

namespace StreamingClusters.MStep;

/// <summary>
/// The single writer of the model. For each mini-batch it runs the parallel E-step against the current
/// version, applies the discount and the streaming M-step, reseeds starved clusters, accounts the
/// points to their sources and publishes an immutable snapshot. Until the model is seeded it holds the
/// first batches as the seeding buffer, then applies them in order like any other batch.
/// </summary>
internal sealed class ModelStage
{
    private readonly StreamingClustersOptions _options;
    private readonly ClusterModel _model;
    private readonly ParallelEStep _eStep;
    private readonly HalfLife _halfLife;
    private readonly TimeProvider _time;
    private readonly IngestStage _ingest;
    private readonly SnapshotPublisher _snapshots;
    private readonly AssignmentPublisher _assignments;
    private readonly IDeadLetterSink _deadLetters;
    private readonly ILogger _logger;
    private readonly StreamingClustersMetrics _metrics;
    private readonly List<MiniBatch> _seedBuffer = [];
    private readonly long[] _counts;
    private readonly Dictionary<string, SourceCheckpoint> _positions = new(StringComparer.Ordinal);
    private readonly CheckpointStore? _checkpoints;
    private readonly TimeSpan _checkpointInterval;
    private int _seedPoints;
    private DateTimeOffset? _lastApplied;
    private long _lastCheckpoint;
    private long _assignmentSequence;
    private ModelUpdate? _lastUpdate;

    /// <summary>Whether the model and the source positions agree: the last batch applied ended on a block boundary.</summary>
    private bool _aligned = true;

    /// <summary>
    /// Whether the last batch's snapshot is still to be published. It goes out during the next batch's
    /// E-step, while this thread would otherwise wait for a helper's shard (the model does not change
    /// until that E-step is over, so it is the same snapshot), or as soon as the batcher has nothing to
    /// hand over: never later than the next batch, never held back while the stream is idle.
    /// </summary>
    private bool _snapshotPending;

    private readonly Action _publishPending;

    /// <summary>The version subscribers and scorers read; replaced, never mutated, by the writer.</summary>
    private volatile CentroidSet? _current;

    public ModelStage(
        StreamingClustersOptions options,
        int dimensions,
        TimeProvider time,
        IngestStage ingest,
        SnapshotPublisher snapshots,
        AssignmentPublisher assignments,
        StreamingClustersMetrics metrics,
        CheckpointStore? checkpoints,
        Checkpoint? restored,
        ILogger logger)
    {
        _metrics = metrics;
        _checkpoints = checkpoints;
        _checkpointInterval = options.Checkpoint.Interval;
        _options = options;
        _time = time;
        _ingest = ingest;
        _snapshots = snapshots;
        _assignments = assignments;
        _deadLetters = ingest.DeadLetters;
        _logger = logger;
        _halfLife = options.ParsedHalfLife;
        var settings = new ModelSettings(options.Clusters, dimensions)
        {
            Seed = options.Seed,
            ReseedRatio = options.ReseedRatio,
            SeedingCandidates = options.Seeding.Candidates,
            RefineIterations = options.Seeding.RefineIterations,
        };
        _counts = new long[options.Clusters];
        if (restored is not null)
        {
            // The shape was checked against the configuration; the options in force are the configured ones.
            _model = ClusterModel.Restore(restored.Model with { Settings = settings });
            restored.Counts.CopyTo(_counts, 0);
            _lastApplied = restored.LastApplied;
            foreach (SourceCheckpoint source in restored.Sources)
            {
                _positions[source.Name] = source;
            }
        }
        else
        {
            _model = new ClusterModel(settings);
            if (options.InitialCentroids is { } initial)
            {
                _model.SetCentroids(initial.SelectMany(c => c).ToArray());
            }
        }

        _current = _model.IsSeeded ? _model.Current : null;
        _lastCheckpoint = time.GetTimestamp();
        // The seeding buffer is applied as one batch: it may pass its size by up to one batch.
        int largestBatch = options.InitialCentroids is null ? options.Seeding.BufferSize + options.BatchSize : options.BatchSize;
        // Every point reaches this stage through the ingest check (finite, at most the ingest's bound), so
        // within the kernels' bound the E-step need not check them again.
        bool pointsBounded = ingest.MaxAbsoluteValue <= NearestCentroidKernel.BoundedMagnitude;
        _eStep = new ParallelEStep(options.Clusters, dimensions, options.ShardSize, options.EffectiveParallelism, largestBatch, pointsBounded);
        _publishPending = PublishPending;
    }

    /// <summary>Gets a value indicating whether the E-step takes the batches' points as already checked by the ingest.</summary>
    internal bool PointsBounded => _eStep.PointsBounded;

    /// <summary>Gets the current model version, or null before seeding.</summary>
    public CentroidSet? Current => _current;

    /// <summary>Takes one mini-batch; the stage owns it from here and returns its buffer.</summary>
    /// <param name="batch">The batch.</param>
    public void Take(MiniBatch batch)
    {
        if (_model.IsSeeded)
        {
            ApplyAndPublish(batch);
            return;
        }

        _seedBuffer.Add(batch);
        _seedPoints += batch.Count;
        if (_seedPoints >= _options.Seeding.BufferSize)
        {
            SeedFromBuffer();
        }
    }

    /// <summary>Stops the E-step's helper threads; called once the stage has taken its last batch, or has failed.</summary>
    public void Stop() => _eStep.Stop();

    /// <summary>Publishes the last batch's snapshot if it has not gone out yet; the batcher calls this before it waits for input.</summary>
    public void PublishPending()
    {
        if (_snapshotPending)
        {
            _snapshotPending = false;
            _snapshots.Publish(Snapshot(isFinal: false));
        }
    }

    /// <summary>Applies whatever is still buffered and publishes the final snapshot.</summary>
    public void Complete()
    {
        if (!_model.IsSeeded && _seedPoints > 0)
        {
            SeedFromBuffer();
        }

        // The last batch's snapshot (also one seeded and applied just now) comes before the final one.
        PublishPending();
        if (_model.IsSeeded)
        {
            _checkpoints?.Write(Checkpoint());
            _snapshots.Publish(Snapshot(isFinal: true));
        }
    }

    /// <summary>
    /// Ends a drain abandoned at a batch boundary: what is still buffered for seeding is dropped, not
    /// applied; the final snapshot is published of what was applied. The checkpoint is written only
    /// where the model and the source positions agree, so it never claims points it does not hold
    /// nor holds points a replay would apply again; otherwise the last one stays in place.
    /// </summary>
    /// <returns>The points dropped from the seeding buffer.</returns>
    public long CompleteAbandoned()
    {
        PublishPending();
        long dropped = _model.IsSeeded ? 0 : _seedPoints;
        foreach (MiniBatch batch in _seedBuffer)
        {
            batch.Return();
        }

        _seedBuffer.Clear();
        _seedPoints = 0;
        if (_model.IsSeeded)
        {
            if (_checkpoints is not null)
            {
                if (_aligned)
                {
                    _checkpoints.Write(Checkpoint());
                }
                else
                {
                    MStepLog.CheckpointKept(_logger);
                }
            }

            _snapshots.Publish(Snapshot(isFinal: true));
        }

        return dropped;
    }

    /// <summary>
    /// Seeds on the buffered points, then applies them as one batch: from zero weights that is one
    /// Lloyd step on the buffer, and every seed starts with the points around it.
    /// </summary>
    private void SeedFromBuffer()
    {
        // Made once per pipeline: from the shared pool, so that the pipeline's own pool does not keep it for life.
        var buffered = new MiniBatch(_model.Dimensions, _seedPoints, _seedBuffer[0].Sequence);
        foreach (MiniBatch batch in _seedBuffer)
        {
            buffered.Append(batch);
            batch.Return();
        }

        _seedBuffer.Clear();
        _model.Seed(buffered.Points, _options.EffectiveParallelism);
        _current = _model.Current;
        MStepLog.Seeded(_logger, _model.Clusters, _seedPoints);
        ApplyAndPublish(buffered);
    }

    private void ApplyAndPublish(MiniBatch batch)
    {
        long started = _time.GetTimestamp();
        try
        {
            if (batch.Count > 0)
            {
                Apply(batch);
            }

            foreach (BatchSegment segment in batch.Segments)
            {
                if (segment.CompletesBlock)
                {
                    _positions[segment.Source.Name] = new SourceCheckpoint(
                        segment.Source.Name, segment.EndPosition, segment.RecordsThrough, segment.RejectedThrough, segment.Source.Applied);
                }
            }

            if (batch.Count > 0)
            {
                _snapshotPending = true;
                _metrics.BatchApplied(_time.GetElapsedTime(started), _lastUpdate?.Reseeds.Count ?? 0);
            }

            // Only where the batch ends on a block boundary do the positions and the model agree exactly.
            bool aligned = batch.Segments.Count == 0 || batch.Segments[^1].CompletesBlock;
            _aligned = aligned;
            if (_checkpoints is not null && aligned && _time.GetElapsedTime(_lastCheckpoint) >= _checkpointInterval)
            {
                _checkpoints.Write(Checkpoint());
                _lastCheckpoint = _time.GetTimestamp();
            }
        }
        finally
        {
            batch.Return();
        }
    }

    private void Apply(MiniBatch batch)
    {
        CentroidSet current = _model.Current;
        var statistics = _eStep.Run(current, batch.Buffer, batch.Count, _publishPending);
        DateTimeOffset now = _time.GetUtcNow();
        TimeSpan elapsed = _lastApplied is { } last ? now - last : TimeSpan.Zero;
        double discount = _halfLife.Discount(batch.Count, elapsed);
        try
        {
            _lastUpdate = _model.Apply(statistics, discount, batch.Points);
        }
        catch (NonFiniteModelException ex)
        {
            RejectBatch(batch, ex);
            return;
        }

        _lastApplied = now;
        _current = _model.Current;
        for (int c = 0; c < _counts.Length; c++)
        {
            _counts[c] += statistics.Counts[c];
        }

        foreach (BatchSegment segment in batch.Segments)
        {
            segment.Source.AddApplied(segment.Points);
        }

        foreach (ReseedEvent reseed in _lastUpdate.Reseeds)
        {
            MStepLog.Reseeded(_logger, reseed.Cluster, reseed.PreviousWeight, _lastUpdate.Version);
        }

        if (_assignments.HasSubscribers)
        {
            _assignments.Publish(new AssignmentBlock
            {
                Sequence = ++_assignmentSequence,
                Version = current.Version,
                Dimensions = current.Dimensions,
                Points = batch.Points.ToArray(),
                Clusters = _eStep.Assignments.AsSpan(0, batch.Count).ToArray(),
                SquaredDistances = _eStep.SquaredDistances.AsSpan(0, batch.Count).ToArray(),
            });
        }
    }

    /// <summary>An update that would make the model non-finite is refused: its points are rejected, each dead-lettered.</summary>
    private void RejectBatch(MiniBatch batch, NonFiniteModelException error)
    {
        MStepLog.UpdateRefused(_logger, error, batch.Count);
        int d = batch.Dimensions;
        int point = 0;
        foreach (BatchSegment segment in batch.Segments)
        {
            segment.Source.AddRejected(segment.Points);
            for (int i = 0; i < segment.Points; i++, point++)
            {
                string raw = string.Join(',', batch.Points.Slice(point * d, d).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
                _deadLetters.Write(new RejectedRecord(segment.Source.Name, -1, error.Message, raw));
            }
        }
    }

    private Checkpoint Checkpoint() => new()
    {
        Model = _model.ToState(),
        Counts = (long[])_counts.Clone(),
        LastApplied = _lastApplied ?? _time.GetUtcNow(),
        Sources = [.. _positions.Values.OrderBy(p => p.Name, StringComparer.Ordinal)],
        Written = _time.GetUtcNow(),
    };

    private CentroidSnapshot Snapshot(bool isFinal)
    {
        int k = _model.Clusters;
        int d = _model.Dimensions;
        double inertia = 0;
        foreach (double e in _model.Inertia)
        {
            inertia += e;
        }

        IReadOnlyList<SourceCounters> counters = _ingest.Sources;
        var sources = new SourceTotals[counters.Count];
        long received = 0, applied = 0, rejected = 0;
        for (int i = 0; i < sources.Length; i++)
        {
            SourceCounters s = counters[i];
            sources[i] = new SourceTotals(s.Name, s.Received, s.Applied, s.Rejected, _positions.TryGetValue(s.Name, out SourceCheckpoint? p) ? p.Position : -1);
            received += sources[i].Received;
            applied += sources[i].Applied;
            rejected += sources[i].Rejected;
        }

        return new CentroidSnapshot
        {
            Version = _model.Version,
            Timestamp = _time.GetUtcNow(),
            Clusters = k,
            Dimensions = d,
            Centroids = new CentroidRows(_model.Centroids, d),
            Weights = _model.Weights.ToArray(),
            Counts = (long[])_counts.Clone(),
            Inertia = inertia,
            MeanSquaredDistance = _lastUpdate?.MeanSquaredDistance ?? 0,
            BatchPoints = _lastUpdate?.Points ?? 0,
            PointsReceived = received,
            PointsApplied = applied,
            PointsRejected = rejected,
            Reseeds = _lastUpdate?.Reseeds ?? [],
            Sources = sources,
            IsFinal = isFinal,
        };
    }
}
