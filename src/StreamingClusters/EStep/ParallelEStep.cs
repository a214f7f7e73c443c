using StreamingClusters.Statistics;

namespace StreamingClusters.EStep;

/// <summary>
/// The E-step of one mini-batch, in parallel: the batch is cut into shards of a fixed size (not
/// dependent on the number of threads), each shard yields its statistics against the same immutable
/// model version, and the shards merge in shard order. The result is therefore bit-identical for any
/// degree of parallelism. Every buffer is allocated once, for the largest batch.
/// </summary>
/// <remarks>
/// A batch's E-step takes tens of microseconds, about what it costs to wake a thread-pool thread, so
/// the helpers are threads of their own, kept for the stage's life: the caller publishes a batch and
/// works on its shards too; each helper claims shards until none is left, then spins briefly for the
/// next batch before it blocks. Nothing is allocated per batch.
/// </remarks>
internal sealed class ParallelEStep
{
    /// <summary>How long a helper keeps looking for the next batch before it blocks, in stopwatch ticks.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 10_000;

    private readonly ClusterStatistics[] _shards;
    private readonly int _shardSize;
    private readonly int _parallelism;
    private Helper[]? _helpers;

    // The batch being worked on: written by the caller before the generation moves on.
    private CentroidSet? _model;
    private float[]? _points;
    private int _count;
    private int _shardCount;
    private int _nextShard;
    private int _remaining;
    private int _generation;
    private bool _stopping;
    private Exception? _failure;

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
        _parallelism = parallelism;
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
        if (shardCount <= 1 || _parallelism == 1)
        {
            for (int s = 0; s < shardCount; s++)
            {
                RunShard(model, points, count, s);
            }
        }
        else
        {
            RunParallel(model, points, count, shardCount);
        }

        Total.Clear();
        for (int s = 0; s < shardCount; s++)
        {
            Total.Add(_shards[s]);
        }

        return Total;
    }

    /// <summary>Stops the helper threads; a later parallel run would start new ones.</summary>
    public void Stop()
    {
        Helper[]? helpers = _helpers;
        _helpers = null;
        if (helpers is null)
        {
            return;
        }

        Volatile.Write(ref _stopping, true);
        Interlocked.Increment(ref _generation);
        foreach (Helper helper in helpers)
        {
            helper.Wake();
        }

        foreach (Helper helper in helpers)
        {
            helper.Thread.Join();
            helper.Dispose();
        }
    }

    private void RunParallel(CentroidSet model, float[] points, int count, int shardCount)
    {
        Helper[] helpers = _helpers ??= StartHelpers();
        _model = model;
        _points = points;
        _count = count;
        _shardCount = shardCount;
        _failure = null;
        Interlocked.Exchange(ref _remaining, shardCount);
        Interlocked.Exchange(ref _nextShard, 0);
        Interlocked.Increment(ref _generation);
        foreach (Helper helper in helpers)
        {
            helper.Wake();
        }

        ClaimShards();
        var spin = default(SpinWait);
        while (Volatile.Read(ref _remaining) > 0)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        _model = null;
        _points = null;
        if (_failure is { } failure)
        {
            throw new InvalidOperationException("An E-step shard failed.", failure);
        }
    }

    /// <summary>Runs shards of the published batch until every one is claimed.</summary>
    private void ClaimShards()
    {
        int shard;
        while ((shard = Interlocked.Increment(ref _nextShard) - 1) < Volatile.Read(ref _shardCount))
        {
            try
            {
                RunShard(_model!, _points!, _count, shard);
            }
#pragma warning disable CA1031 // Handed to the caller, which throws it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _failure = ex;
            }
            finally
            {
                Interlocked.Decrement(ref _remaining);
            }
        }
    }

    private Helper[] StartHelpers()
    {
        var helpers = new Helper[_parallelism - 1];
        for (int h = 0; h < helpers.Length; h++)
        {
            var helper = new Helper();
            helper.Thread = new Thread(() => HelperLoop(helper)) { IsBackground = true, Name = "E-step helper" };
            helpers[h] = helper;
            helper.Thread.Start();
        }

        return helpers;
    }

    private void HelperLoop(Helper helper)
    {
        int seen = 0;
        while (true)
        {
            int generation = WaitForNext(helper, seen);
            seen = generation;
            if (Volatile.Read(ref _stopping))
            {
                return;
            }

            ClaimShards();
        }
    }

    /// <summary>Spins for a short while for the next generation, then blocks until the caller wakes it.</summary>
    private int WaitForNext(Helper helper, int seen)
    {
        long spinUntil = Stopwatch.GetTimestamp() + SpinTicks;
        var spin = default(SpinWait);
        int generation;
        while ((generation = Volatile.Read(ref _generation)) == seen)
        {
            if (Stopwatch.GetTimestamp() < spinUntil)
            {
                spin.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            // Say it sleeps, then look once more: a caller that moved the generation on meanwhile
            // either sees the flag (and wakes it) or finds it already cleared here.
            Interlocked.Exchange(ref helper.Sleeping, 1);
            if (Volatile.Read(ref _generation) != seen && Interlocked.Exchange(ref helper.Sleeping, 0) == 1)
            {
                continue;
            }

            helper.Signal.Wait();
            spinUntil = Stopwatch.GetTimestamp() + SpinTicks;
            spin = default;
        }

        return generation;
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

    /// <summary>One helper thread and its wake-up signal.</summary>
    private sealed class Helper : IDisposable
    {
        public int Sleeping;

        public SemaphoreSlim Signal { get; } = new(0);

        public Thread Thread { get; set; } = null!;

        /// <summary>Wakes the helper if it has blocked (each block is matched by exactly one release).</summary>
        public void Wake()
        {
            if (Interlocked.Exchange(ref Sleeping, 0) == 1)
            {
                Signal.Release();
            }
        }

        public void Dispose() => Signal.Dispose();
    }
}
