using System.Reactive.Linq;
using Microsoft.Extensions.Logging;
using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Ingest;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.EStep;
using StreamingClusters.Ingest;
using StreamingClusters.Model;
using StreamingClusters.Models;
using StreamingClusters.Publishing;

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

    /// <summary>Records and points this silo rejected for the model (counted here, logged as dead letters).</summary>
    private long _rejected;

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
        ModelSummary summary = await _ingest.CallAsync(_grain.GetSummary, cancellationToken);
        return new ModelInfo(
            Name,
            summary.Definition.Clusters,
            summary.Definition.Dimensions,
            "KMeans",
            summary.StateJson is null ? -1 : summary.Version,
            summary.PointsApplied,
            summary.PointsRefused + Interlocked.Read(ref _rejected),
            summary.Definition.MaxRecordLength ?? _maxRecordLength,
            MaxAbsoluteValue(summary.Definition));
    }

    /// <inheritdoc/>
    public async ValueTask<RecordLimits> LimitsAsync(CancellationToken cancellationToken = default)
    {
        // The definition this silo's feed holds: a model's definition does not change once it is made.
        ClusterModelDefinition definition = (await _ingest.FeedAsync(Name).WaitAsync(cancellationToken)).Definition;
        return new RecordLimits(definition.Dimensions, definition.MaxRecordLength ?? _maxRecordLength, MaxAbsoluteValue(definition));
    }

    /// <inheritdoc/>
    public async ValueTask<CentroidSnapshot?> LatestAsync(CancellationToken cancellationToken = default)
    {
        ModelSummary summary = await _ingest.CallAsync(_grain.GetSummary, cancellationToken);
        return summary.StateJson is { } json ? ToSnapshot(summary, ModelStateJson.Read(json)) : null;
    }

    /// <inheritdoc/>
    public async Task<WriteResult?> TryWriteAsync(
        string source, ReadOnlyMemory<float> points, int dimensions, IReadOnlyList<string>? columns, TimeSpan wait, CancellationToken cancellationToken = default)
    {
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
        if (rejected > 0)
        {
            Interlocked.Add(ref _rejected, rejected);
            LogRejected(Name, source, rejected, limit);
        }

        if (kept > 0)
        {
            BatchReceipt receipt = await _ingest.PostAsync(Name, valid.AsMemory(0, kept * dimensions), cancellationToken);
            if (receipt.Outcome == BatchOutcome.Refused)
            {
                // The grain refused the batch that carried them (the update would have made the model
                // non-finite) and counted them in its PointsRefused: none of them is accepted.
                LogRefusedByGrain(Name, source, kept);
                return new WriteResult(0, count);
            }
        }

        return new WriteResult(kept, rejected);
    }

    /// <inheritdoc/>
    public ValueTask RejectAsync(string source, IReadOnlyList<RecordRejection> rejections, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rejections);
        Interlocked.Add(ref _rejected, rejections.Count);
        foreach (RecordRejection rejection in rejections)
        {
            LogDeadLetter(Name, source, rejection.ToString());
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public async ValueTask<ModelScores?> ScoreAsync(ReadOnlyMemory<float> points, int dimensions, CancellationToken cancellationToken = default)
    {
        ModelFeed feed = await _ingest.FeedAsync(Name);
        if (dimensions != feed.Definition.Dimensions)
        {
            throw new ArgumentException($"The model '{Name}' has d = {feed.Definition.Dimensions}; the points have d = {dimensions}.", nameof(dimensions));
        }

        // As posts do: a silo that only scores still follows the model's versions.
        if (feed.Centroids is null || feed.RefreshDue)
        {
            feed = await RefreshedAsync(feed);
        }

        if (feed.Centroids is not { } centroids)
        {
            return null;
        }

        int count = points.Length / dimensions;
        int[] labels = new int[count];
        float[] scores = new float[count];
        HardEStep.Assign(centroids, points.Span, labels, scores);
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
                    if (summary.StateJson is { } json)
                    {
                        known = summary.Version;
                        observer.OnNext((summary, ModelStateJson.Read(json)));
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
        return new CentroidSnapshot
        {
            Version = model.Version,
            Timestamp = _time.GetUtcNow(),
            Clusters = model.Settings.Clusters,
            Dimensions = d,
            Centroids = [.. model.Centroids.Chunk(d)],
            Weights = model.Weights,
            Counts = state.Counts,
            Ids = model.Ids ?? [],
            Inertia = model.Inertia.Sum(),
            MeanSquaredDistance = 0,
            BatchPoints = 0,
            PointsReceived = summary.PointsApplied + summary.PointsBuffered + summary.PointsRefused,
            PointsApplied = summary.PointsApplied,
            PointsRejected = summary.PointsRefused,
            Reseeds = [],
            Sources = [],
        };
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
