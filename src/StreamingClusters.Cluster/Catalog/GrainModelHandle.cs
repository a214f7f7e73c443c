using System.Reactive.Linq;
using Microsoft.Extensions.Logging;
using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Ingest;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.EStep;
using StreamingClusters.Ingest;
using StreamingClusters.Mixture;
using StreamingClusters.Model;
using StreamingClusters.Models;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Scaling;

namespace StreamingClusters.Cluster.Catalog;

/// <summary>
/// A named model in cluster mode, reached from this silo: points are E-stepped here and their
/// statistics sent to the model's grain (<see cref="SiloIngest"/>); a write answers once a persisted
/// model version covers its points. Snapshots and events come from asking the grain whether its version
/// moved, every <see cref="PollInterval"/>, so a subscriber goes on by itself after a failover.
/// </summary>
internal sealed partial class GrainModelHandle : IModelHandle
{
    /// <summary>How often a subscriber's silo asks the grain whether the version moved.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private readonly SiloIngest _ingest;
    private readonly IModelGrain _grain;
    /// <summary>The top-level limits, for a model without its own (see <see cref="ClusterModelDefinition.MaxAbsoluteValue"/>).</summary>
    private readonly float _maxAbsoluteValue;
    private readonly int _maxRecordLength;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public GrainModelHandle(string name, SiloIngest ingest, float maxAbsoluteValue, int maxRecordLength, TimeProvider time, ILogger logger)
    {
        Name = name;
        _ingest = ingest;
        _grain = ingest.Grain(name);
        _maxAbsoluteValue = maxAbsoluteValue;
        _maxRecordLength = maxRecordLength;
        _time = time;
        _logger = logger;
        IObservable<(ModelSummary Summary, StreamingModelState State)> versions = Observable.Create<(ModelSummary, StreamingModelState)>(PollAsync);
        Snapshots = versions.Select(v => ToSnapshot(v.Summary, v.State));
        Events = Observable.Defer(() =>
        {
            long seen = -1;
            return versions.SelectMany(v =>
            {
                ClusterEvent[] fresh = [.. (v.State.Model.RecentEvents ?? []).Where(e => e.Version > seen)];
                seen = v.State.Model.Version;
                return fresh;
            });
        });
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IObservable<CentroidSnapshot> Snapshots { get; }

    /// <inheritdoc/>
    public IObservable<ClusterEvent> Events { get; }

    /// <inheritdoc/>
    public async ValueTask<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default)
    {
        // The status, not the summary: no state or sources travel, and it does not wait behind a batch.
        ModelStatus status = await _ingest.CallAsync(_grain.GetStatus, cancellationToken);
        return new ModelInfo(
            Name,
            status.Definition.Clusters,
            status.Definition.Dimensions,
            status.Definition.Model.ToString(),
            status.Seeded ? status.Version : -1,
            status.PointsApplied,
            status.PointsRejected,
            status.Definition.MaxRecordLength ?? _maxRecordLength,
            MaxAbsoluteValue(status.Definition));
    }

    /// <inheritdoc/>
    public async ValueTask<RecordLimits> LimitsAsync(CancellationToken cancellationToken = default)
    {
        // The definition this silo's feed holds. A model's settings do not change, but the model may be
        // deleted and its name defined again with others: on the feed's refresh cadence (the one its posts
        // keep anyway, so no extra grain call), a feed of a deleted incarnation gives way to the model's now.
        ModelFeed feed = await _ingest.FeedAsync(Name).WaitAsync(cancellationToken);
        if (feed.RefreshDue)
        {
            feed = await RefreshedAsync(feed).WaitAsync(cancellationToken);
        }

        ClusterModelDefinition definition = feed.Definition;
        return new RecordLimits(definition.Dimensions, definition.MaxRecordLength ?? _maxRecordLength, MaxAbsoluteValue(definition));
    }

    /// <inheritdoc/>
    public async ValueTask<CentroidSnapshot?> LatestAsync(CancellationToken cancellationToken = default)
    {
        ModelSummary summary = await _ingest.CallAsync(_grain.GetSummary, cancellationToken);
        return summary.State is { } state ? ToSnapshot(summary, ModelStateCodec.Read(state)) : null;
    }

    /// <inheritdoc/>
    public Task<WriteResult?> TryWriteAsync(
        string source, ReadOnlyMemory<float> points, int dimensions, IReadOnlyList<string>? columns, TimeSpan wait, CancellationToken cancellationToken = default) =>
        TryWriteAsync(source, points, dimensions, columns, [], wait, cancellationToken);

    /// <inheritdoc/>
    /// <remarks>
    /// The records travel as a count with the body's points, in the batch that carries them: one grain
    /// write for the body, and the records counted exactly when the points are (so a body answered with an
    /// error is counted nowhere, and may be sent again). A body without a valid point sends the count alone.
    /// </remarks>
    public async Task<WriteResult?> TryWriteAsync(
        string source,
        ReadOnlyMemory<float> points,
        int dimensions,
        IReadOnlyList<string>? columns,
        IReadOnlyList<RecordRejection> rejections,
        TimeSpan wait,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rejections);
        ClusterModelDefinition definition = (await _ingest.FeedAsync(Name)).Definition;
        if (dimensions != definition.Dimensions)
        {
            throw new ArgumentException($"The model '{Name}' has d = {definition.Dimensions}; the points have d = {dimensions}.", nameof(dimensions));
        }

        // Bad points are rejected, counted and logged; the rest travel all together.
        float limit = MaxAbsoluteValue(definition);
        int count = points.Length / dimensions;
        float[] valid = new float[points.Length];
        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> point = points.Span.Slice(i * dimensions, dimensions);
            if (Within(point, limit))
            {
                point.CopyTo(valid.AsSpan(kept * dimensions));
                kept++;
            }
        }

        int rejected = count - kept;

        // The points rejected here and the body's unreadable records, counted by the grain as one.
        long uncounted = rejected + rejections.Count;
        if (kept == 0 && uncounted > 0)
        {
            // Counted by the grain (the cluster's count, once), before the answer.
            await _ingest.RejectAsync(Name, source, uncounted, cancellationToken);
        }

        if (kept > 0)
        {
            // The rejected points and records travel as a count with the valid ones, in the same batch.
            BatchReceipt receipt = await _ingest.PostAsync(Name, source, valid.AsMemory(0, kept * dimensions), uncounted, definition, cancellationToken);
            if (receipt.Outcome == BatchOutcome.Refused)
            {
                // The grain refused the batch that carried them (the update would have made the model
                // non-finite) and counted them in its PointsRefused: none of them is accepted.
                LogRefusedByGrain(Name, source, kept);
                LogRejections(source, rejected, limit, rejections);
                return new WriteResult(0, count);
            }
        }

        // Dead-lettered once counted: a post that failed (and may be sent again) logs none of them.
        LogRejections(source, rejected, limit, rejections);
        return new WriteResult(kept, rejected);
    }

    private void LogRejections(string source, int rejected, float limit, IReadOnlyList<RecordRejection> rejections)
    {
        if (rejected > 0)
        {
            LogRejected(Name, source, rejected, limit);
        }

        foreach (RecordRejection rejection in rejections)
        {
            LogDeadLetter(Name, source, rejection.ToString());
        }
    }

    /// <inheritdoc/>
    public async ValueTask RejectAsync(string source, IReadOnlyList<RecordRejection> rejections, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rejections);
        foreach (RecordRejection rejection in rejections)
        {
            LogDeadLetter(Name, source, rejection.ToString());
        }

        if (rejections.Count > 0)
        {
            // Counted by the grain with this silo's next batch (or alone), under its sequence: once.
            await _ingest.RejectAsync(Name, source, rejections.Count, cancellationToken);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<ModelScores?> ScoreAsync(ReadOnlyMemory<float> points, int dimensions, CancellationToken cancellationToken = default)
    {
        // As posts do: a silo that only scores still follows the model's versions, and finds a model
        // deleted and made again (perhaps with another d) before it checks the points against it.
        ModelFeed feed = await _ingest.FeedAsync(Name);
        if (feed.Centroids is null || feed.RefreshDue)
        {
            feed = await RefreshedAsync(feed);
        }

        if (dimensions != feed.Definition.Dimensions)
        {
            throw new ArgumentException($"The model '{Name}' has d = {feed.Definition.Dimensions}; the points have d = {dimensions}.", nameof(dimensions));
        }

        if (feed.Centroids is not { } centroids)
        {
            return null;
        }

        int count = points.Length / dimensions;
        int[] labels = new int[count];
        float[] scores = new float[count];
        if (feed.Components is { } mixture)
        {
            // As a single process's mixture scores: the most likely component, its responsibility, the log-likelihood.
            float[] likeliest = new float[count];
            SoftEStep.Score(mixture, points.Span, labels, scores, likeliest);
            return new ModelScores(mixture.Version, ScoreKind.LogLikelihood, labels, scores, likeliest);
        }

        // As a single process scores: standardised points, squared distances in the standardised space.
        ReadOnlySpan<float> assigned = feed.Scaling is { } scaling ? ModelOwner.Standardized(points.Span, scaling) : points.Span;
        HardEStep.Assign(centroids, assigned, labels, scores);
        float[] responsibilities = new float[count];
        responsibilities.AsSpan().Fill(1);
        return new ModelScores(centroids.Version, ScoreKind.SquaredDistance, labels, scores, responsibilities);
    }

    /// <summary>Refreshes a feed; one of a deleted model is dropped and the model the name has now (if any) is asked instead.</summary>
    private async Task<ModelFeed> RefreshedAsync(ModelFeed feed)
    {
        try
        {
            await feed.RefreshAsync();
            return feed;
        }
        catch (KeyNotFoundException)
        {
            _ingest.Forget(Name, feed);
            ModelFeed current = await _ingest.FeedAsync(Name);
            await current.RefreshAsync();
            return current;
        }
    }

    private static bool Within(ReadOnlySpan<float> point, float limit)
    {
        foreach (float x in point)
        {
            if (!float.IsFinite(x) || Math.Abs(x) > limit)
            {
                return false;
            }
        }

        return true;
    }

    private float MaxAbsoluteValue(ClusterModelDefinition definition) =>
        definition.MaxAbsoluteValue is { } own ? (float)own : _maxAbsoluteValue;

    private async Task PollAsync(IObserver<(ModelSummary, StreamingModelState)> observer, CancellationToken cancellationToken)
    {
        long known = -1;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                CentroidsView view = await _grain.GetCentroids(known).WaitAsync(cancellationToken);
                if (view.Seeded && view.Version != known)
                {
                    ModelSummary summary = await _grain.GetSummary().WaitAsync(cancellationToken);
                    if (summary.State is { } state)
                    {
                        known = summary.Version;
                        observer.OnNext((summary, ModelStateCodec.Read(state)));
                    }
                }
            }
            catch (Exception ex) when (ex is OrleansException or TimeoutException)
            {
                // The grain's silo died or the call timed out: ask again next time (the grain restarts elsewhere).
                LogPollFailed(Name, ex.Message);
            }

            await Task.Delay(PollInterval, _time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private CentroidSnapshot ToSnapshot(ModelSummary summary, StreamingModelState state)
    {
        ClusterModelState model = state.Model;
        int d = model.Settings.Dimensions;
        long rejected = summary.PointsRefused + summary.PointsRejected;
        return new CentroidSnapshot
        {
            Version = model.Version,
            Timestamp = _time.GetUtcNow(),
            Clusters = model.Settings.Clusters,
            Dimensions = d,
            Centroids = [.. InputUnits(model.Centroids, state.Scaling).Chunk(d)],
            Weights = model.Weights,
            Counts = state.Counts,
            Ids = model.Ids ?? [],
            Inertia = model.Inertia.Sum(),
            MeanSquaredDistance = summary.LastBatchPoints == 0 ? 0 : summary.LastBatchSquaredError / summary.LastBatchPoints,
            BatchPoints = summary.LastBatchPoints,
            PointsReceived = summary.PointsApplied + summary.PointsBuffered + rejected,
            PointsApplied = summary.PointsApplied,
            PointsRejected = rejected,
            Reseeds = [.. summary.LastReseeds.Select(r => new ReseedEvent(r.Cluster, r.PreviousWeight, r.NewWeight) { RetiredId = r.RetiredId, NewId = r.NewId })],
            Sources = [.. summary.Sources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => new SourceTotals(s.Key, s.Value.Received, s.Value.Applied, s.Value.Rejected, 0))],
            Scaling = state.Scaling,
            DuplicatesDropped = summary.DuplicatesDropped,
            StaleBatches = summary.StaleBatches,
            Model = state.Mixture is null ? nameof(ModelKind.KMeans) : nameof(ModelKind.GaussianMixture),
            Variances = state.Mixture is { } mixture ? [.. mixture.Variances.Chunk(d)] : null,
            Priors = state.Mixture?.Priors,
            MeanLogLikelihood = state.Mixture is { LogLikelihoodWeight: > 0 } weighed ? weighed.LogLikelihood / weighed.LogLikelihoodWeight : null,
        };
    }

    /// <summary>Centroids of the model's space in the input's units, as a single process's scaled model reports them.</summary>
    private static double[] InputUnits(double[] centroids, ColumnScalingState? scaling)
    {
        if (scaling is null)
        {
            return centroids;
        }

        double[] restored = new double[centroids.Length];
        ColumnScaling.FromState(scaling).Restore(centroids, restored);
        return restored;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model '{Model}': {Count} points from {Source} rejected (not finite, or beyond ±{Limit}).")]
    private partial void LogRejected(string model, string source, int count, float limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model '{Model}': {Count} points from {Source} refused by the model (the update would have made it non-finite).")]
    private partial void LogRefusedByGrain(string model, string source, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model '{Model}': dead letter from {Source}: {Rejection}")]
    private partial void LogDeadLetter(string model, string source, string rejection);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model '{Model}': its grain did not answer ({Reason}); asking again.")]
    private partial void LogPollFailed(string model, string reason);
}
