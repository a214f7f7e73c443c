using System.Runtime.InteropServices;
using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.EStep;
using StreamingClusters.Mixture;
using StreamingClusters.Options;
using StreamingClusters.Scaling;
using StreamingClusters.Statistics;

namespace StreamingClusters.Cluster.Ingest;

/// <summary>
/// One silo's ingest into one model: E-steps the points posted to this silo against the centroids it
/// holds, pre-combines the statistics of the posts that arrive while a batch is on its way, and sends
/// one batch at a time to the model grain, numbered by this producer's sequence. A batch the grain did
/// not answer is sent again with the same number (the grain drops it if it had applied it). A post
/// completes once the grain's answer to the batch that holds it has come, that is once the model's
/// persisted state covers its points. A model of standardised columns is E-stepped in them: the points
/// are standardised with the scaling the grain sends with the first centroids, and travel so as sample.
/// </summary>
internal sealed class ModelFeed
{
    private readonly IModelGrain _grain;
    private readonly ClusterModelDefinition _definition;
    private readonly string _producer;
    private readonly ClusterIngestOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    /// <summary>The version posts are E-stepped against; null until the model is seeded (posts then go raw).</summary>
    private volatile CentroidSet? _centroids;

    /// <summary>The model's scaling when it standardises columns, set (once, for good) before the first <see cref="_centroids"/>.</summary>
    private volatile ColumnScaling? _scaling;

    /// <summary>A mixture's version posts are E-stepped against (set before <see cref="_centroids"/>, its means); null for k-means.</summary>
    private volatile MixtureVersion? _mixture;

    /// <summary>When the grain was last asked for its version.</summary>
    private long _refreshedAt = long.MinValue;

    /// <summary>The batch being gathered, under <see cref="_gate"/>: raw points first, then statistics, then counts of rejections alone.</summary>
    private PendingRaw? _raw;
    private PendingStatistics? _statistics;
    private Pending? _counts;

    /// <summary>Whether a send loop runs, under <see cref="_gate"/>.</summary>
    private bool _sending;

    /// <summary>The last sequence number used; the loop is its one writer.</summary>
    private long _sequence;

    public ModelFeed(IModelGrain grain, ClusterModelDefinition definition, string producer, ClusterIngestOptions options, TimeProvider time)
    {
        _grain = grain;
        _definition = definition;
        _producer = producer;
        _options = options;
        _time = time;
    }

    /// <summary>Gets the version this silo assigns against, or null before the model is seeded.</summary>
    public CentroidSet? Centroids => _centroids;

    /// <summary>Gets the scaling points are standardised with before the E-step, or null (columns as they come, or not seeded yet).</summary>
    public ColumnScaling? Scaling => _scaling;

    /// <summary>Gets a mixture's version posts are E-stepped against, or null (k-means, or not seeded yet).</summary>
    public MixtureComponents? Components => _mixture?.Components;

    /// <summary>Gets the model's definition.</summary>
    public ClusterModelDefinition Definition => _definition;

    /// <summary>
    /// Gets a value indicating whether the grain should be asked for its version before the centroids are
    /// used: never asked yet, or last asked <see cref="ClusterIngestOptions.CentroidRefreshInterval"/> ago or more.
    /// </summary>
    public bool RefreshDue
    {
        get
        {
            long refreshedAt = Interlocked.Read(ref _refreshedAt);
            return refreshedAt == long.MinValue || _time.GetElapsedTime(refreshedAt) >= _options.CentroidRefreshInterval;
        }
    }

    /// <summary>Takes points posted to this silo.</summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="cancellationToken">Stops waiting (the points may still be applied).</param>
    /// <returns>The grain's answer to the batch that holds the points.</returns>
    public Task<BatchReceipt> PostAsync(ReadOnlyMemory<float> points, CancellationToken cancellationToken) =>
        PostAsync(Grains.ModelGrain.UnnamedSource, points, 0, cancellationToken);

    /// <summary>
    /// Counts records or points this silo rejected from a source: they travel to the grain with the next
    /// batch (or alone, under a sequence number of their own, when no batch is being gathered).
    /// </summary>
    /// <param name="source">The source.</param>
    /// <param name="rejected">How many.</param>
    /// <param name="cancellationToken">Stops waiting (they may still be counted).</param>
    /// <returns>The grain's answer to the batch that holds the counts.</returns>
    public async Task<BatchReceipt> RejectAsync(string source, long rejected, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rejected);
        Task<BatchReceipt> answer;
        lock (_gate)
        {
            Pending pending = (Pending?)_raw ?? (Pending?)_statistics ?? (_counts ??= new Pending());
            pending.Count(source, 0, rejected);
            answer = pending.Answer.Task;
        }

        StartSending();
        return await answer.WaitAsync(cancellationToken);
    }

    /// <summary>Takes points posted to this silo from a source, with the records of the same post the silo rejected.</summary>
    /// <param name="source">The source (<c>http</c>).</param>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="rejected">The records of the same post this silo rejected.</param>
    /// <param name="cancellationToken">Stops waiting (the points may still be applied).</param>
    /// <returns>The grain's answer to the batch that holds the points.</returns>
    public async Task<BatchReceipt> PostAsync(string source, ReadOnlyMemory<float> points, long rejected, CancellationToken cancellationToken)
    {
        int d = _definition.Dimensions;
        if (points.Length % d != 0)
        {
            throw new ArgumentException($"Points of d = {d} must hold a multiple of {d} values, got {points.Length}.", nameof(points));
        }

        if (RefreshDue)
        {
            try
            {
                await RefreshAsync();
            }
            catch (KeyNotFoundException ex)
            {
                // Found out before the points were taken: the caller may post them to the model now defined.
                throw new StaleFeedException(ex.Message, ex);
            }
        }

        CentroidSet? centroids = _centroids;
        Task<BatchReceipt> answer;
        if (centroids is null)
        {
            lock (_gate)
            {
                _raw ??= new PendingRaw();
                _raw.Points.AddRange(points.Span);
                _raw.Count(source, points.Length / d, rejected);
                answer = _raw.Answer.Task;
            }
        }
        else
        {
            int count = points.Length / d;

            // A standardised model sees the points standardised, in the E-step and as reseed candidates.
            ColumnScaling? scaling = _scaling;
            float[] buffer = scaling is not null
                ? ModelOwner.Standardized(points.Span, scaling)
                : MemoryMarshal.TryGetArray(points, out ArraySegment<float> segment) && segment.Offset == 0 && segment.Array is { } array
                    ? array
                    : points.ToArray();
            ClusterStatistics? statistics = null;
            MixtureStatistics? soft = null;
            MixtureVersion? mixture = _mixture;
            long version = centroids.Version;
            if (mixture is not null)
            {
                // The mixture's own version (it may be newer than the centroids read above).
                var softRunner = new SerialEStep<SoftEStepWork, MixtureStatistics>(_definition.Clusters, d, _definition.ShardSize, Math.Max(1, count));
                soft = softRunner.Run(new SoftEStepWork(mixture.Components), buffer, count);
                version = mixture.Components.Version;
            }
            else
            {
                var runner = new SerialEStep<HardEStepWork, ClusterStatistics>(_definition.Clusters, d, _definition.ShardSize, Math.Max(1, count));
                statistics = runner.Run(new HardEStepWork(centroids), buffer, count);
            }

            lock (_gate)
            {
                if (_statistics is null)
                {
                    _statistics = new PendingStatistics(statistics, soft, mixture?.Means, version);
                }
                else
                {
                    if (soft is not null)
                    {
                        // Taken about this version's means: moved to those of the pending ones before they are added.
                        MixtureMoments.MoveAbout(soft, mixture!.Means, _statistics.About);
                        _statistics.Mixture!.Add(soft);
                    }
                    else
                    {
                        _statistics.Statistics!.Add(statistics!);
                    }

                    _statistics.BasedOnVersion = Math.Min(_statistics.BasedOnVersion, version);
                }

                int room = (_definition.SampleSize * d) - _statistics.Sample.Count;
                _statistics.Sample.AddRange(buffer.AsSpan(0, Math.Min(room, points.Length)));
                _statistics.Count(source, count, rejected);
                answer = _statistics.Answer.Task;
            }
        }

        StartSending();
        return await answer.WaitAsync(cancellationToken);
    }

    /// <summary>Asks the grain for its version, and fetches its centroids when the version moved.</summary>
    public async Task RefreshAsync()
    {
        long asked = _time.GetTimestamp();
        CentroidsView view = await SendAsync(() => _grain.GetCentroids(_centroids?.Version ?? -1));
        if (view.Incarnation != _definition.Incarnation)
        {
            throw new KeyNotFoundException($"The model '{_grain.GetPrimaryKeyString()}' this silo held was deleted and made again.");
        }

        if (view.Centroids is { } centroids && (_centroids is null || _centroids.Version < view.Version))
        {
            // Built outside the lock, then set under it only if still newer than what the feed holds:
            // refreshes run concurrently (posts, scores, the send loop), and a slow one that fetched an
            // older version must not move the feed back, nor mix its mixture with another's centroids.
            MixtureVersion? mixture = null;
            if (_definition.Model == ModelKind.GaussianMixture)
            {
                mixture = view.Variances is { } variances && view.Priors is { } priors
                    ? new MixtureVersion(new MixtureComponents(centroids, variances, priors, view.Version), centroids)
                    : throw new InvalidOperationException("The model's grain sent a mixture's means without its variances and priors.");
            }

            ColumnScaling? scaling = null;
            if (_definition.Scaling == ScalingMode.Standardize && _scaling is null)
            {
                scaling = view.ScalingMean is { } mean && view.ScalingStd is { } std
                    ? ColumnScaling.FromState(new ColumnScalingState(mean, std))
                    : throw new InvalidOperationException("The model's grain sent the first centroids of a standardised model without its scaling.");
            }

            var set = new CentroidSet(centroids, view.Clusters, view.Version);
            lock (_gate)
            {
                if (_centroids is null || _centroids.Version < view.Version)
                {
                    // In this order: a post that reads the centroids finds the scaling and mixture set before them.
                    _scaling ??= scaling;
                    if (mixture is not null)
                    {
                        _mixture = mixture;
                    }

                    _centroids = set;
                }
            }
        }

        Interlocked.Exchange(ref _refreshedAt, asked);
    }

    private void StartSending()
    {
        lock (_gate)
        {
            if (!_sending)
            {
                _sending = true;
                _ = Task.Run(SendLoopAsync, CancellationToken.None);
            }
        }
    }

    private async Task SendLoopAsync()
    {
        while (true)
        {
            PendingRaw? raw;
            PendingStatistics? statistics = null;
            Pending? counts = null;
            lock (_gate)
            {
                raw = _raw;
                _raw = null;
                if (raw is null)
                {
                    statistics = _statistics;
                    _statistics = null;
                }

                if (raw is null && statistics is null)
                {
                    counts = _counts;
                    _counts = null;
                }
                else if (_counts is { } alone)
                {
                    // Counts gathered while no batch was: they go with this one.
                    (raw ?? (Pending)statistics!).Take(alone);
                    _counts = null;
                }

                if (raw is null && statistics is null && counts is null)
                {
                    _sending = false;
                    return;
                }
            }

            long sequence = ++_sequence;
            Pending pending = (Pending?)raw ?? (Pending?)statistics ?? counts!;
            TaskCompletionSource<BatchReceipt> answer = pending.Answer;
            SourceTally[] sources = pending.Tallies();
            try
            {
                Func<Task<BatchReceipt>> send = raw is not null
                    ? () => _grain.AddPoints(new PointsBatch { Producer = _producer, Sequence = sequence, Points = [.. raw.Points], Sources = sources, Incarnation = _definition.Incarnation })
                    : statistics is null
                    ? () => _grain.ApplyStatistics(StatisticsBatch.CountsOnlyFrom(_producer, sequence, sources) with { Incarnation = _definition.Incarnation })
                    : statistics.Mixture is { } mixture
                    ? () => _grain.ApplyMixtureStatistics(
                        MixtureStatisticsBatch.From(_producer, sequence, statistics.BasedOnVersion, mixture, statistics.About, CollectionsMarshal.AsSpan(statistics.Sample), sources) with { Incarnation = _definition.Incarnation })
                    : () => _grain.ApplyStatistics(
                        StatisticsBatch.From(_producer, sequence, statistics.BasedOnVersion, statistics.Statistics!, CollectionsMarshal.AsSpan(statistics.Sample), sources) with { Incarnation = _definition.Incarnation });
                int attempts = 0;
                BatchReceipt receipt = await SendAsync(() =>
                {
                    attempts++;
                    return send();
                });
                if (receipt.Outcome == BatchOutcome.Duplicate && attempts == 1)
                {
                    // Only a resend may be a duplicate (the grain had applied it before its answer was lost): on the
                    // first send, the grain holds this producer's sequence from something else, and nothing was applied.
                    throw new DuplicateBatchException(
                        $"The model took batch {sequence} of this silo's feed for one it had applied already; these points were not applied.");
                }

                // The next posts see the version this batch made (a post answered here and followed by
                // another is assigned against the model that covers the first).
                if (receipt.Seeded && receipt.Version != _centroids?.Version)
                {
                    try
                    {
                        await RefreshAsync();
                    }
#pragma warning disable CA1031 // The batch is applied whatever became of the refresh; the next post asks again.
                    catch (Exception)
#pragma warning restore CA1031
                    {
                        Interlocked.Exchange(ref _refreshedAt, long.MinValue);
                    }
                }

                answer.TrySetResult(receipt);
            }
#pragma warning disable CA1031 // Whatever failed is handed to the posts that wait for this batch.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                answer.TrySetException(ex);
            }
        }
    }

    private Task<T> SendAsync<T>(Func<Task<T>> send) => GrainCalls.RetryAsync(send, _time, _options.SendDeadline);

    /// <summary>A batch being gathered: who waits for it, and each source's points and rejections in it.</summary>
    private class Pending
    {
        private readonly Dictionary<string, (long Points, long Rejected)> _sources = new(StringComparer.Ordinal);

        public TaskCompletionSource<BatchReceipt> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Count(string source, long points, long rejected)
        {
            (long p, long r) = _sources.GetValueOrDefault(source);
            _sources[source] = (p + points, r + rejected);
        }

        /// <summary>Takes another batch's counts, and answers its waiters with this batch's answer.</summary>
        public void Take(Pending other)
        {
            foreach ((string source, (long points, long rejected)) in other._sources)
            {
                Count(source, points, rejected);
            }

            _ = Answer.Task.ContinueWith(
                t =>
                {
                    if (t.IsCompletedSuccessfully)
                    {
                        other.Answer.TrySetResult(t.Result);
                    }
                    else
                    {
                        other.Answer.TrySetException(t.Exception?.InnerExceptions ?? [new TaskCanceledException()]);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        public SourceTally[] Tallies() => [.. _sources.Select(s => new SourceTally(s.Key, s.Value.Points, s.Value.Rejected))];
    }

    private sealed class PendingRaw : Pending
    {
        public List<float> Points { get; } = [];
    }

    /// <summary>A mixture's version as the E-step takes it, with the means its statistics are taken about.</summary>
    private sealed record MixtureVersion(MixtureComponents Components, double[] Means);

    /// <summary>Statistics gathered for the next batch: k-means', or a mixture's with the means they are about.</summary>
    private sealed class PendingStatistics(ClusterStatistics? statistics, MixtureStatistics? mixture, double[]? about, long basedOnVersion) : Pending
    {
        public ClusterStatistics? Statistics { get; } = statistics;

        public MixtureStatistics? Mixture { get; } = mixture;

        public double[] About { get; } = about ?? [];

        public long BasedOnVersion { get; set; } = basedOnVersion;

        public List<float> Sample { get; } = [];
    }
}

/// <summary>
/// A feed found, before it took a post's points, that the model it holds is no longer defined (deleted,
/// perhaps made again): the points were not sent, and may be posted to whatever model the name has now.
/// </summary>
internal sealed class StaleFeedException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// The grain answered a batch's first send as a duplicate: its points were not applied (the feed's
/// producer is dropped, and the post may be sent again).
/// </summary>
internal sealed class DuplicateBatchException(string message) : InvalidOperationException(message);
