using StreamingClusters.Statistics;

namespace StreamingClusters.EStep;

/// <summary>
/// The E-step on the caller's thread alone: shard by shard, each into statistics of its own, merged in
/// shard order, exactly as a parallel runner merges them, so the bits are the same.
/// </summary>
/// <typeparam name="TWork">The model's shard work.</typeparam>
/// <typeparam name="TStatistics">The model's statistics.</typeparam>
public sealed class SerialEStep<TWork, TStatistics> : IEStepRunner<TWork, TStatistics>
    where TWork : struct, IShardWork<TStatistics>
    where TStatistics : class, IShardStatistics<TStatistics>
{
    private readonly int _shardSize;
    private readonly TStatistics _shard;

    /// <summary>Creates the runner's buffers, for batches of up to <paramref name="maxBatch"/> points.</summary>
    /// <param name="clusters">k.</param>
    /// <param name="dimensions">d.</param>
    /// <param name="shardSize">Points per shard (the same as a parallel runner's, for the same bits).</param>
    /// <param name="maxBatch">The largest batch.</param>
    public SerialEStep(int clusters, int dimensions, int shardSize, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shardSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        _shardSize = shardSize;
        MaxBatch = maxBatch;
        _shard = TStatistics.Create(clusters, dimensions);
        Total = TStatistics.Create(clusters, dimensions);
        Labels = new int[maxBatch];
        Scores = new float[maxBatch];
    }

    /// <inheritdoc/>
    public int MaxBatch { get; }

    /// <summary>Gets the merged statistics of the last batch.</summary>
    public TStatistics Total { get; }

    /// <inheritdoc/>
    public int[] Labels { get; }

    /// <inheritdoc/>
    public float[] Scores { get; }

    /// <inheritdoc/>
    public TStatistics Run(TWork work, float[] points, int count, Action? meanwhile = null)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxBatch);
        meanwhile?.Invoke();
        int d = work.Dimensions;
        if (count == 0)
        {
            Total.Clear();
        }

        for (int start = 0, shard = 0; start < count; start += _shardSize, shard++)
        {
            int n = Math.Min(_shardSize, count - start);
            _shard.Clear();
            work.Run(points.AsSpan(start * d, n * d), _shard, Labels.AsSpan(start, n), Scores.AsSpan(start, n));
            if (shard == 0)
            {
                Total.CopyFrom(_shard);
            }
            else
            {
                Total.Add(_shard);
            }
        }

        return Total;
    }

    /// <inheritdoc/>
    public void Stop()
    {
    }
}
