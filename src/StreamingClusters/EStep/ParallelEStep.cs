using StreamingClusters.Statistics;

namespace StreamingClusters.EStep;

/// <summary>
/// The E-step of one mini-batch, in parallel: the batch is cut into shards of a fixed size (not
/// dependent on the number of threads), each shard yields its statistics against the same immutable
/// model version, and the shards merge in shard order. The result is therefore bit-identical for any
/// degree of parallelism, whichever thread computed a shard. Every buffer is allocated once, for the largest batch.
/// </summary>
/// <remarks>
/// A batch's E-step takes tens of microseconds, about what it costs to wake a thread-pool thread, so
/// the helpers are threads of their own, kept for the stage's life: the caller publishes a batch and
/// works on its shards too; each helper claims shards until none is left, then spins briefly for the
/// next batch before it blocks. Each thread writes only its own buffers, and a shard's result is the
/// first one finished. On a busy machine a helper may lose its core in the middle of a shard for a
/// whole time slice (milliseconds, a hundred batches): once the caller has waited for a shard longer
/// than it takes to compute one, it computes that shard itself and goes on. The late helper's result
/// lands in its own buffers and is ignored; by then the batch's buffer may have been handed back and
/// refilled, which only changes that ignored result (the kernels read no further than the batch's points).
/// </remarks>
/// <typeparam name="TWork">The model's E-step of one shard: a struct, so each shard is a direct call.</typeparam>
/// <typeparam name="TStatistics">The model's statistics.</typeparam>
internal sealed class ParallelEStep<TWork, TStatistics> : IEStepRunner<TWork, TStatistics>
    where TWork : struct, IShardWork<TStatistics>
    where TStatistics : class, IShardStatistics<TStatistics>
{
    /// <summary>How long a helper keeps looking for the next batch before it blocks, in stopwatch ticks.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 10_000;

    /// <summary>The caller's buffers (index 0) and each helper's.</summary>
    private readonly Slot[] _slots;
    private readonly int _shardSize;
    private readonly int _parallelism;

    /// <summary>Called by a helper before each shard it computes; null but in tests that hold a helper there.</summary>
    private readonly Action? _helperShardStarting;
    private Helper[]? _helpers;

    /// <summary>The batch being worked on; replaced by the caller for each batch, read by the helpers.</summary>
    private Job? _job;
    private int _generation;
    private bool _stopping;

    /// <summary>The caller's last time for one shard, in stopwatch ticks: how long it waits for a helper's shard before it takes it over.</summary>
    private long _shardTicks;

    /// <summary>Creates the stage's buffers; the helper threads start with the first parallel batch.</summary>
    /// <param name="clusters">k.</param>
    /// <param name="dimensions">d.</param>
    /// <param name="shardSize">Points per shard.</param>
    /// <param name="parallelism">Threads that share a batch, the caller's included.</param>
    /// <param name="maxBatch">The largest batch.</param>
    /// <param name="helperShardStarting">Called by a helper before each shard it computes (tests hold a helper there).</param>
    public ParallelEStep(int clusters, int dimensions, int shardSize, int parallelism, int maxBatch, Action? helperShardStarting = null)
    {
        _shardSize = shardSize;
        _parallelism = parallelism;
        _helperShardStarting = helperShardStarting;
        MaxBatch = maxBatch;
        int shardCount = (maxBatch + shardSize - 1) / shardSize;
        _slots = new Slot[parallelism];
        _slots[0] = new Slot(0, clusters, dimensions, shardCount, maxBatch);
        Total = TStatistics.Create(clusters, dimensions);
        if (shardCount > 1)
        {
            for (int h = 1; h < parallelism; h++)
            {
                _slots[h] = new Slot(h, clusters, dimensions, shardCount, maxBatch);
            }
        }
    }

    /// <inheritdoc/>
    public int MaxBatch { get; }

    /// <summary>Gets the merged statistics of the last batch.</summary>
    public TStatistics Total { get; }

    /// <inheritdoc/>
    public int[] Labels => _slots[0].Labels;

    /// <inheritdoc/>
    public float[] Scores => _slots[0].Scores;

    /// <summary>Gets the number of shards the caller computed itself because the helper that had claimed them was late.</summary>
    public long TakenOver { get; private set; }

    /// <inheritdoc/>
    public TStatistics Run(TWork work, float[] points, int count, Action? meanwhile = null)
    {
        int shardCount = (count + _shardSize - 1) / _shardSize;
        Slot own = _slots[0];
        if (shardCount == 0)
        {
            Total.Clear();
        }

        if (shardCount <= 1 || _parallelism == 1)
        {
            meanwhile?.Invoke();
            for (int s = 0; s < shardCount; s++)
            {
                RunShard(work, points, count, s, own);
                MergeStatistics(s, own.Shards[s]);
            }

            return Total;
        }

        RunParallel(work, points, count, shardCount, meanwhile);
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

        Volatile.Write(ref _stopping, false);
    }

    /// <summary>
    /// Publishes the batch to the helpers, computes shards itself, and merges every shard into
    /// <see cref="Total"/> in shard order, each as soon as it and those before it are finished: the
    /// merging of the first shards overlaps the computing of the last.
    /// </summary>
    private void RunParallel(TWork work, float[] points, int count, int shardCount, Action? meanwhile)
    {
        Helper[] helpers = _helpers ??= StartHelpers();
        var job = new Job(work, points, count, shardCount);
        Volatile.Write(ref _job, job);
        Interlocked.Increment(ref _generation);
        foreach (Helper helper in helpers)
        {
            helper.Wake();
        }

        Slot own = _slots[0];
        int merged = 0;
        int shard;
        while ((shard = job.Claim()) >= 0)
        {
            long started = Stopwatch.GetTimestamp();
            RunShard(work, points, count, shard, own);
            job.Finish(shard, own.Index);
            _shardTicks = Stopwatch.GetTimestamp() - started;
            while (merged < shardCount && job.IsFinished(merged))
            {
                Merge(job, merged++, count);
            }
        }

        // Every shard is claimed; wait for the helpers' ones, but not for a helper that lost its core.
        for (; merged < shardCount; merged++)
        {
            int s = merged;
            if (!job.IsFinished(s) && meanwhile is not null)
            {
                meanwhile();
                meanwhile = null;
            }

            if (!job.IsFinished(s))
            {
                long giveUp = Stopwatch.GetTimestamp() + Math.Max(_shardTicks, SpinTicks / 100);
                var spin = default(SpinWait);
                while (!job.IsFinished(s))
                {
                    if (Stopwatch.GetTimestamp() > giveUp)
                    {
                        RunShard(work, points, count, s, own);
                        if (job.Finish(s, own.Index))
                        {
                            TakenOver++;
                        }

                        break;
                    }

                    spin.SpinOnce(sleep1Threshold: -1);
                }
            }

            Merge(job, s, count);
        }

        meanwhile?.Invoke();
    }

    /// <summary>Shard 0 sets <see cref="Total"/> (the bits of a clear and an addition, in one pass); each later one is added.</summary>
    private void MergeStatistics(int shard, TStatistics statistics)
    {
        if (shard == 0)
        {
            Total.CopyFrom(statistics);
        }
        else
        {
            Total.Add(statistics);
        }
    }

    /// <summary>Adds a finished shard's statistics to <see cref="Total"/> and brings its per-point results into the caller's buffers.</summary>
    private void Merge(Job job, int shard, int count)
    {
        Slot own = _slots[0];
        Slot winner = _slots[job.Winners[shard]];
        MergeStatistics(shard, winner.Shards[shard]);
        if (winner != own)
        {
            int start = shard * _shardSize;
            int n = Math.Min(_shardSize, count - start);
            winner.Labels.AsSpan(start, n).CopyTo(own.Labels.AsSpan(start));
            winner.Scores.AsSpan(start, n).CopyTo(own.Scores.AsSpan(start));
        }
    }

    private Helper[] StartHelpers()
    {
        var helpers = new Helper[_parallelism - 1];
        for (int h = 0; h < helpers.Length; h++)
        {
            var helper = new Helper(_slots[h + 1]);
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

            if (Volatile.Read(ref _job) is { } job)
            {
                Help(job, helper.Slot);
            }
        }
    }

    /// <summary>Computes shards of <paramref name="job"/> into the helper's own buffers until every one is claimed.</summary>
    private void Help(Job job, Slot slot)
    {
        int shard;
        while ((shard = job.Claim()) >= 0)
        {
            _helperShardStarting?.Invoke();
            try
            {
                RunShard(job.Work, job.Points, job.Count, shard, slot);
                job.Finish(shard, slot.Index);
            }
#pragma warning disable CA1031 // The shard stays unfinished: the caller computes it and meets the same failure itself.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
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

    private void RunShard(TWork work, float[] points, int count, int shard, Slot slot)
    {
        int d = work.Dimensions;
        int start = shard * _shardSize;
        int n = Math.Min(_shardSize, count - start);
        TStatistics statistics = slot.Shards[shard];
        statistics.Clear();
        work.Run(points.AsSpan(start * d, n * d), statistics, slot.Labels.AsSpan(start, n), slot.Scores.AsSpan(start, n));
    }

    /// <summary>One batch: what to compute, the next shard to claim, and which thread's result each shard takes.</summary>
    private sealed class Job
    {
        private int _next = -1;

        public Job(TWork work, float[] points, int count, int shardCount)
        {
            Work = work;
            Points = points;
            Count = count;
            Winners = new int[shardCount];
            Winners.AsSpan().Fill(-1);
        }

        public TWork Work { get; }

        public float[] Points { get; }

        public int Count { get; }

        /// <summary>Gets, per shard, the slot whose result it takes; −1 while none has finished it.</summary>
        public int[] Winners { get; }

        /// <summary>Claims the next shard; −1 when every one is claimed.</summary>
        public int Claim()
        {
            int shard = Interlocked.Increment(ref _next);
            return shard < Winners.Length ? shard : -1;
        }

        /// <summary>Offers a finished shard; the first offer is the one kept (its buffers are written before, and no longer written for this batch).</summary>
        /// <returns>Whether this offer was the first.</returns>
        public bool Finish(int shard, int slot) => Interlocked.CompareExchange(ref Winners[shard], slot, -1) == -1;

        public bool IsFinished(int shard) => Volatile.Read(ref Winners[shard]) >= 0;
    }

    /// <summary>One thread's buffers: per-shard statistics and per-point results, for the largest batch.</summary>
    private sealed class Slot
    {
        public Slot(int index, int clusters, int dimensions, int shardCount, int maxBatch)
        {
            Index = index;
            Shards = new TStatistics[shardCount];
            for (int s = 0; s < shardCount; s++)
            {
                Shards[s] = TStatistics.Create(clusters, dimensions);
            }

            Labels = new int[maxBatch];
            Scores = new float[maxBatch];
        }

        public int Index { get; }

        public TStatistics[] Shards { get; }

        public int[] Labels { get; }

        public float[] Scores { get; }
    }

    /// <summary>One helper thread, its buffers and its wake-up signal.</summary>
    private sealed class Helper(Slot slot) : IDisposable
    {
        public int Sleeping;

        public Slot Slot { get; } = slot;

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
