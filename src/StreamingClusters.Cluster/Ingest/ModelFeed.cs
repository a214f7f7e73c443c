using System.Runtime.InteropServices;
using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.EStep;
using StreamingClusters.Statistics;

namespace StreamingClusters.Cluster.Ingest;

/// <summary>
/// One silo's ingest into one model: E-steps the points posted to this silo against the centroids it
/// holds, pre-combines the statistics of the posts that arrive while a batch is on its way, and sends
/// one batch at a time to the model grain, numbered by this producer's sequence. A batch the grain did
/// not answer is sent again with the same number (the grain drops it if it had applied it). A post
/// completes once the grain's answer to the batch that holds it has come, that is once the model's
/// persisted state covers its points.
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

    /// <summary>When the grain was last asked for its version.</summary>
    private long _refreshedAt = long.MinValue;

    /// <summary>The batch being gathered, under <see cref="_gate"/>: raw points first, then statistics.</summary>
    private PendingRaw? _raw;
    private PendingStatistics? _statistics;

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
    public async Task<BatchReceipt> PostAsync(ReadOnlyMemory<float> points, CancellationToken cancellationToken)
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
                answer = _raw.Answer.Task;
            }
        }
        else
        {
            int count = points.Length / d;
            float[] buffer = MemoryMarshal.TryGetArray(points, out ArraySegment<float> segment) && segment.Offset == 0 && segment.Array is { } array
                ? array
                : points.ToArray();
            var runner = new SerialEStep<HardEStepWork, ClusterStatistics>(_definition.Clusters, d, _definition.ShardSize, Math.Max(1, count));
            ClusterStatistics statistics = runner.Run(new HardEStepWork(centroids), buffer, count);
            lock (_gate)
            {
                if (_statistics is null)
                {
                    _statistics = new PendingStatistics(statistics, centroids.Version);
                }
                else
                {
                    _statistics.Statistics.Add(statistics);
                    _statistics.BasedOnVersion = Math.Min(_statistics.BasedOnVersion, centroids.Version);
                }

                int room = (_definition.SampleSize * d) - _statistics.Sample.Count;
                _statistics.Sample.AddRange(points.Span[..Math.Min(room, points.Length)]);
                answer = _statistics.Answer.Task;
            }
        }

        lock (_gate)
        {
            if (!_sending)
            {
                _sending = true;
                _ = Task.Run(SendLoopAsync, CancellationToken.None);
            }
        }

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
            _centroids = new CentroidSet(centroids, view.Clusters, view.Version);
        }

        Interlocked.Exchange(ref _refreshedAt, asked);
    }

    private async Task SendLoopAsync()
    {
        while (true)
        {
            PendingRaw? raw;
            PendingStatistics? statistics = null;
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
                    _sending = false;
                    return;
                }
            }

            long sequence = ++_sequence;
            TaskCompletionSource<BatchReceipt> answer = raw?.Answer ?? statistics!.Answer;
            try
            {
                BatchReceipt receipt = raw is not null
                    ? await SendAsync(() => _grain.AddPoints(new PointsBatch { Producer = _producer, Sequence = sequence, Points = [.. raw.Points], Incarnation = _definition.Incarnation }))
                    : await SendAsync(() => _grain.ApplyStatistics(
                        StatisticsBatch.From(_producer, sequence, statistics!.BasedOnVersion, statistics.Statistics, statistics.Sample.ToArray()) with { Incarnation = _definition.Incarnation }));

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

    private sealed class PendingRaw
    {
        public List<float> Points { get; } = [];

        public TaskCompletionSource<BatchReceipt> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class PendingStatistics(ClusterStatistics statistics, long basedOnVersion)
    {
        public ClusterStatistics Statistics { get; } = statistics;

        public long BasedOnVersion { get; set; } = basedOnVersion;

        public List<float> Sample { get; } = [];

        public TaskCompletionSource<BatchReceipt> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>
/// A feed found, before it took a post's points, that the model it holds is no longer defined (deleted,
/// perhaps made again): the points were not sent, and may be posted to whatever model the name has now.
/// </summary>
internal sealed class StaleFeedException(string message, Exception inner) : Exception(message, inner);
