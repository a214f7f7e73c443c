using StreamingClusters.Statistics;

namespace StreamingClusters.EStep;

/// <summary>
/// The E-step of one mini-batch, in parallel: the batch is cut into shards of a fixed size (not
/// dependent on the number of threads), each shard yields its statistics against the same immutable
/// model version, and the shards merge in shard order. The result is therefore bit-identical for any
/// degree of parallelism. Every buffer is allocated once, for the largest batch.
/// </summary>
internal sealed class ParallelEStep
{
    private readonly ClusterStatistics[] _shards;
    private readonly int _shardSize;
    private readonly ParallelOptions _parallel;

    public ParallelEStep(int clusters, int dimensions, int shardSize, int parallelism, int maxBatch)
    {
        _shardSize = shardSize;
        int shardCount = (maxBatch + shardSize - 1) / shardSize;
        _shards = new ClusterStatistics[shardCount];
        for (int s = 0; s < shardCount; s++)
        {
            _shards[s] = new ClusterStatistics(clusters, dimensions);
        }

        Total = new ClusterStatistics(clusters, dimensions);
        Assignments = new int[maxBatch];
        SquaredDistances = new float[maxBatch];
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = parallelism };
    }

    /// <summary>Gets the merged statistics of the last batch.</summary>
    public ClusterStatistics Total { get; }

    /// <summary>Gets each point's cluster in the last batch (the first Count entries).</summary>
    public int[] Assignments { get; }

    /// <summary>Gets each point's squared distance in the last batch.</summary>
    public float[] SquaredDistances { get; }

    /// <summary>Runs the E-step of <paramref name="count"/> points of <paramref name="points"/>.</summary>
    /// <param name="model">The model version every shard assigns against.</param>
    /// <param name="points">The batch buffer, row-major.</param>
    /// <param name="count">The number of points in it.</param>
    /// <returns>The merged statistics (<see cref="Total"/>).</returns>
    public ClusterStatistics Run(CentroidSet model, float[] points, int count)
    {
        int shardCount = (count + _shardSize - 1) / _shardSize;
        if (shardCount <= 1 || _parallel.MaxDegreeOfParallelism == 1)
        {
            for (int s = 0; s < shardCount; s++)
            {
                RunShard(model, points, count, s);
            }
        }
        else
        {
            Parallel.For(0, shardCount, _parallel, s => RunShard(model, points, count, s));
        }

        Total.Clear();
        for (int s = 0; s < shardCount; s++)
        {
            Total.Add(_shards[s]);
        }

        return Total;
    }

    private void RunShard(CentroidSet model, float[] points, int count, int shard)
    {
        int d = model.Dimensions;
        int start = shard * _shardSize;
        int n = Math.Min(_shardSize, count - start);
        ClusterStatistics statistics = _shards[shard];
        statistics.Clear();
        HardEStep.Accumulate(
            model,
            points.AsSpan(start * d, n * d),
            statistics,
            Assignments.AsSpan(start, n),
            SquaredDistances.AsSpan(start, n));
    }
}
