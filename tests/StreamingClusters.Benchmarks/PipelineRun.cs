using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Sinks;

namespace StreamingClusters.Benchmarks;

/// <summary>
/// Whole-run figures through the library API (issue 5): points/s from the first write to Completion for
/// Parallelism 1 and 2, write-to-covering-snapshot latency at full rate and for a slow stream, and the
/// working set / GC heap over long streams. Wall clock (Stopwatch); prints RESULT lines; no assertions.
/// </summary>
internal static class PipelineRun
{
    private const int D = 16;
    private const int K = 64;

    /// <summary>Blobs: K centres uniform in [-10, 10]^D, points N(centre, 1); the same bytes for the same seed.</summary>
    public static float[] Blobs(long points, int seed)
    {
        var rng = new Random(seed);
        var centres = new float[K * D];
        for (int i = 0; i < centres.Length; i++)
        {
            centres[i] = (float)(rng.NextDouble() * 20 - 10);
        }

        var data = new float[points * D];
        for (long p = 0; p < points; p++)
        {
            int c = rng.Next(K);
            for (int j = 0; j < D; j++)
            {
                // Box-Muller, one normal per pair of uniforms (simple and reproducible).
                double u1 = 1.0 - rng.NextDouble();
                double u2 = rng.NextDouble();
                data[(p * D) + j] = centres[(c * D) + j] + (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            }
        }

        return data;
    }

    public static void WriteData(string path, long points, int seed)
    {
        float[] data = Blobs(points, seed);
        using var file = File.Create(path);
        file.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        Console.WriteLine($"# wrote {points} x {D} float32 (little-endian, row-major) to {path}");
    }

    public static float[] ReadData(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var data = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes, 0, data, 0, data.Length * sizeof(float));
        return data;
    }

    /// <summary>
    /// Model clusters, batch size, E-step shard size and channel capacity (the data always has K centres);
    /// changed only by --clusters / --batch-size / --shard-size / --channel-capacity, to locate the bottleneck. A shard as large as the batch
    /// leaves the E-step helper idle after seeding: two cores then gain only from the writer running beside the model.
    /// </summary>
    private static int _clusters = K, _batchSize = 1024, _shardSize = 256, _channelCapacity = 262_144;

    /// <summary>Whether the model repairs local optima (<c>--repair on|off</c>; the product's default, on, otherwise).</summary>
    private static bool _repair = true;
    /// <summary>The columns' scaling (--scaling none|standardize), to measure what standardising costs.</summary>
    private static string _scaling = "none";

    /// <summary>The run's settings (also <see cref="PipelineBenchmarks"/>'s).</summary>
    internal static StreamingClustersOptions Options(int parallelism, TimeSpan batchTimeout, int seedBuffer = 8192) => new()
    {
        Clusters = _clusters,
        Dimensions = D,
        BatchSize = _batchSize,
        ShardSize = _shardSize,
        BatchTimeout = batchTimeout,
        Parallelism = parallelism,
        Seed = 0,
        // As config/benchmark.json.
        BlockSize = 1024,
        ChannelCapacity = _channelCapacity,
        Seeding = new SeedingOptions { BufferSize = seedBuffer },
        Repair = _repair,
        Scaling = _scaling,
    };

    /// <summary>A dead-letter sink that drops what it is given (the blobs have no bad records).</summary>
    internal sealed class NoDeadLetters : IDeadLetterSink
    {
        public void Write(in RejectedRecord record)
        {
        }

        public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Timestamps (Stopwatch ticks) of the writes and of the snapshots as a subscriber sees them.</summary>
    private sealed class Timeline
    {
        public readonly List<(long Covered, long Ticks)> Writes = [];
        public readonly ConcurrentQueue<(long Applied, long Ticks)> Snapshots = new();
        public long Start;
        public long End;

        /// <summary>For each write (after the seeding, which waits for its buffer on purpose), the time to the first snapshot whose PointsApplied covers it, ms.</summary>
        public double[] Latencies(long skipBelow)
        {
            var snaps = Snapshots.ToArray();
            var result = new List<double>();
            long seeded = snaps.Length > 0 ? snaps[0].Ticks : long.MaxValue;
            int s = 0;
            foreach (var (covered, ticks) in Writes)
            {
                while (s < snaps.Length && snaps[s].Applied < covered)
                {
                    s++;
                }

                if (s == snaps.Length)
                {
                    break;
                }

                // Writes issued before the seeded model was published wait for the seeding on purpose.
                if (covered > skipBelow && ticks >= seeded)
                {
                    result.Add((snaps[s].Ticks - ticks) * 1000.0 / Stopwatch.Frequency);
                }
            }

            result.Sort();
            return [.. result];
        }
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    /// <summary>Writes data (cycled until total points) in blocks, cancels, waits for Completion.</summary>
    private static async Task<(double Seconds, Timeline Timeline, CentroidSnapshot? Final)> RunOnce(
        StreamingClustersOptions options, float[] data, long total, int block, Func<long, Task>? pace = null, Action<long>? progress = null)
    {
        var pipeline = new ClusteringPipeline(options, new NoDeadLetters(), TimeProvider.System, NullLoggerFactory.Instance);
        var timeline = new Timeline();
        using var subscription = pipeline.Snapshots.Subscribe(s => timeline.Snapshots.Enqueue((s.PointsApplied, Stopwatch.GetTimestamp())));
        using var cts = new CancellationTokenSource();
        Task run = pipeline.RunAsync([], stopWhenSourcesEnd: false, cts.Token);
        long available = data.Length / D;
        long written = 0;
        long start = Stopwatch.GetTimestamp();
        timeline.Start = start;
        while (written < total)
        {
            if (pace is not null)
            {
                await pace(written).ConfigureAwait(false);
            }

            long offset = written % available;
            int n = (int)Math.Min(Math.Min(block, total - written), available - offset);
            long before = Stopwatch.GetTimestamp();
            await pipeline.Writer.WriteAsync(data.AsMemory((int)(offset * D), n * D), D).ConfigureAwait(false);
            written += n;
            timeline.Writes.Add((written, before));
            progress?.Invoke(written);
        }

        await cts.CancelAsync().ConfigureAwait(false);
        await pipeline.Completion.ConfigureAwait(false);
        timeline.End = Stopwatch.GetTimestamp();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        await run.ConfigureAwait(false);
        return (seconds, timeline, pipeline.Latest);
    }

    /// <summary>The most warm-up rounds before the measured ones, should the JIT never settle.</summary>
    private const int MaxWarmUps = 20;

    /// <summary>A pause after each warm-up round, longer than tiered compilation's delay (100 ms by default).</summary>
    private static readonly TimeSpan TieringPause = TimeSpan.FromMilliseconds(300);

    /// <summary>Throughput for each parallelism, in alternate rounds; best round and the full-rate latency.</summary>
    public static async Task Throughput(float[] data, long points, int rounds, IReadOnlyList<int> parallelisms, int block)
    {
        var best = new Dictionary<int, double>();
        var bestSteady = new Dictionary<int, double>();
        foreach (int p in parallelisms)
        {
            best[p] = 0;
        }

        // Warm-up (JIT, tiering, thread pool), not reported. Tiered compilation promotes a hot method
        // in the background about 100 ms after it got hot, and later still while other methods keep
        // being compiled; one short warm-up left the JIT's thread compiling through the measured
        // rounds (622 tier-1 promotions in an eight-round process, some in its last round), on the
        // cores the pipeline's threads wanted.
        // So the warm-up goes on until a whole warm-up round, and a pause after it, compile nothing.
        long compiledAtStart = JitInfo.GetCompiledMethodCount();
        long compiled = compiledAtStart;
        int warmUps = 0;
        bool settled = false;
        while (!settled && warmUps < MaxWarmUps)
        {
            foreach (int p in parallelisms)
            {
                await RunOnce(Options(p, TimeSpan.FromSeconds(1)), data, Math.Min(points, 1_000_000), block).ConfigureAwait(false);
            }

            warmUps++;
            // Time for the promotions the round made due, which wait out the tiering delay first.
            await Task.Delay(TieringPause).ConfigureAwait(false);
            long now = JitInfo.GetCompiledMethodCount();
            settled = now == compiled;
            compiled = now;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# warm-up: {warmUps} rounds of {Math.Min(points, 1_000_000)} points per parallelism, {compiled - compiledAtStart} methods compiled during them ({compiled} since the process started); the last round compiled {(settled ? "none" : "some")}"));

        for (int round = 0; round < rounds; round++)
        {
            foreach (int p in parallelisms)
            {
                TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                long itemsBefore = ThreadPool.CompletedWorkItemCount;
                long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                int gen0Before = GC.CollectionCount(0);
                long compiledBefore = JitInfo.GetCompiledMethodCount();
                var (seconds, timeline, final) = await RunOnce(Options(p, TimeSpan.FromSeconds(1)), data, points, block).ConfigureAwait(false);
                long compiledDuring = JitInfo.GetCompiledMethodCount() - compiledBefore;
                // CPU time of the whole process (writer, batching, model, helpers, spinning included):
                // less disturbed than the wall clock by other work on a shared machine.
                double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
                // Everything the round allocated, the pipeline's set-up (its buffer pool fills once) included.
                double allocatedPerPoint = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (double)points;
                int gen0 = GC.CollectionCount(0) - gen0Before;
                // Each thread-pool work item may wake a pool thread, which then spins for more work.
                long items = ThreadPool.CompletedWorkItemCount - itemsBefore;
                double rate = points / seconds;
                // Steady state: from the first snapshot (the seeded model, k-means++ and Lloyd on the
                // first 8192 points) to Completion, the points applied after it.
                var first = timeline.Snapshots.TryPeek(out var f) ? f : (0, 0);
                double steadySeconds = (timeline.End - first.Ticks) / (double)Stopwatch.Frequency;
                double steady = (points - first.Applied) / steadySeconds;
                double seedMs = (first.Ticks - timeline.Start) * 1000.0 / Stopwatch.Frequency;
                bestSteady[p] = Math.Max(bestSteady.GetValueOrDefault(p), steady);
                best[p] = Math.Max(best[p], rate);
                double[] lat = timeline.Latencies(8192);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"# round {round + 1} parallelism {p}: {points} points in {seconds:F3} s = {rate / 1e6:F2}M points/s; applied {final?.PointsApplied}, version {final?.Version}; full-rate write->covering snapshot p50 {Percentile(lat, 0.5):F2} ms p99 {Percentile(lat, 0.99):F2} ms ({lat.Length} writes of {block}); first snapshot (seeded) after {seedMs:F0} ms, steady state after it {steady / 1e6:F2}M points/s"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# round {round + 1} parallelism {p}: process CPU {cpuSeconds:F3} s = {cpuSeconds * 1e9 / points:F1} ns per point; {items} thread-pool work items, {timeline.Snapshots.Count} snapshots seen by the subscriber; {allocatedPerPoint:F1} bytes allocated per point, {gen0} gen-0 collections; {compiledDuring} methods compiled during the round"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT pipeline-steady-points-per-s p={p} round={round + 1} {steady:G6}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT pipeline-cpu-ns-per-point p={p} round={round + 1} {cpuSeconds * 1e9 / points:F2}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT pipeline-points-per-s p={p} round={round + 1} {rate:G6}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT pipeline-latency-ms p={p} round={round + 1} p50={Percentile(lat, 0.5):F3} p99={Percentile(lat, 0.99):F3}"));
            }
        }

        foreach (int p in parallelisms)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT pipeline-best-points-per-s p={p} {best[p]:G6} steady {bestSteady[p]:G6}"));
        }

        if (best.TryGetValue(1, out double one) && best.TryGetValue(2, out double two))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT pipeline-speedup-1to2 {two / one:F3} steady {bestSteady[2] / bestSteady[1]:F3}"));
        }
    }

    /// <summary>A slow stream: rate points/s in blocks of blockPoints, BatchTimeout timeout.</summary>
    public static async Task SlowStream(float[] data, double seconds, int rate, int blockPoints, TimeSpan timeout, int parallelism)
    {
        long total = (long)(seconds * rate);
        long start = 0;
        var options = Options(parallelism, timeout, seedBuffer: 1024);
        var (elapsed, timeline, final) = await RunOnce(options, data, total, blockPoints, async written =>
        {
            if (written == 0)
            {
                start = Stopwatch.GetTimestamp();
                return;
            }

            // Due time of this block: written / rate seconds after the start.
            long due = start + (long)(written * (double)Stopwatch.Frequency / rate);
            while (Stopwatch.GetTimestamp() < due)
            {
                long remainingMs = (due - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                if (remainingMs > 2)
                {
                    await Task.Delay((int)(remainingMs - 1)).ConfigureAwait(false);
                }
                else
                {
                    Thread.Yield();
                }
            }
        }).ConfigureAwait(false);
        double[] lat = timeline.Latencies(1024 + 1024);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# slow stream: {total} points at {rate}/s in blocks of {blockPoints}, BatchTimeout {timeout.TotalMilliseconds} ms, {elapsed:F1} s, {timeline.Snapshots.Count} snapshots; write->covering snapshot over {lat.Length} writes: p50 {Percentile(lat, 0.5):F2} ms, p99 {Percentile(lat, 0.99):F2} ms, max {Percentile(lat, 1.0):F2} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT slow-latency-ms timeout={timeout.TotalMilliseconds} p50={Percentile(lat, 0.5):F3} p99={Percentile(lat, 0.99):F3} max={Percentile(lat, 1.0):F3}"));
    }

    /// <summary>Streams total points (cycling over data) and samples the working set and GC heap.</summary>
    public static async Task Memory(float[] data, IReadOnlyList<long> totals, int parallelism, int block)
    {
        foreach (long total in totals)
        {
            using var process = Process.GetCurrentProcess();
            GC.Collect();
            long baseline = Environment.WorkingSet;
            long maxWs = 0, maxHeap = 0;
            var marks = new List<string>();
            long nextMark = total / 10;
            long lastSample = 0;
            var (seconds, _, final) = await RunOnce(Options(parallelism, TimeSpan.FromSeconds(1)), data, total, block, progress: written =>
            {
                long now = Stopwatch.GetTimestamp();
                if (now - lastSample > Stopwatch.Frequency / 20 || written >= nextMark)
                {
                    lastSample = now;
                    long ws = Environment.WorkingSet;
                    long heap = GC.GetTotalMemory(false);
                    maxWs = Math.Max(maxWs, ws);
                    maxHeap = Math.Max(maxHeap, heap);
                    if (written >= nextMark)
                    {
                        marks.Add(string.Create(CultureInfo.InvariantCulture, $"{written / 1e6:F0}M:{ws / 1048576.0:F0}/{heap / 1048576.0:F0}"));
                        nextMark += total / 10;
                    }
                }
            }).ConfigureAwait(false);
            process.Refresh();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# memory: {total / 1e6:F0}M points in {seconds:F1} s ({total / seconds / 1e6:F2}M/s), applied {final?.PointsApplied}; working set before {baseline / 1048576.0:F0} MiB, max sampled {maxWs / 1048576.0:F0} MiB, GC heap max sampled {maxHeap / 1048576.0:F0} MiB, process peak {process.PeakWorkingSet64 / 1048576.0:F0} MiB, gen0/1/2 {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}"));
            Console.WriteLine("# memory by progress (points: working set / GC heap, MiB): " + string.Join(" ", marks));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"RESULT memory points={total} ws-max-mib={maxWs / 1048576.0:F1} heap-max-mib={maxHeap / 1048576.0:F1} peak-ws-mib={process.PeakWorkingSet64 / 1048576.0:F1} seconds={seconds:F2}"));
        }
    }

    /// <summary>
    /// <c>pipeline [--points N] [--data FILE] [--write-data FILE] [--rounds R] [--parallelism 1,2] [--block 4096]
    /// [--no-latency] [--no-throughput] [--memory 10000000,100000000] [--clusters K] [--batch-size B] [--shard-size S] [--channel-capacity C] [--scaling none|standardize]</c>
    /// </summary>
    public static async Task RunAsync(string[] args)
    {
        long points = 4_000_000;
        string? dataPath = null, writePath = null;
        int rounds = 1, block = 4096;
        IReadOnlyList<int> parallelisms = [1, 2];
        bool latency = true, throughput = true;
        IReadOnlyList<long> memory = [];
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--points": points = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--data": dataPath = args[++i]; break;
                case "--write-data": writePath = args[++i]; break;
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--block": block = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--parallelism": parallelisms = [.. args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))]; break;
                case "--clusters": _clusters = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--batch-size": _batchSize = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--shard-size": _shardSize = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--channel-capacity": _channelCapacity = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--scaling": _scaling = args[++i]; break;
                case "--no-latency": latency = false; break;
                case "--repair": _repair = args[++i] == "on"; break;
                case "--no-throughput": throughput = false; break;
                case "--memory": memory = [.. args[++i].Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture))]; break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        if (writePath is not null)
        {
            WriteData(writePath, points, seed: 12345);
            return;
        }

        Console.WriteLine($"# machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}");
        float[] data = dataPath is null ? Blobs(points, seed: 12345) : ReadData(dataPath);
        points = Math.Min(points, data.Length / D);
        if (throughput)
        {
            await Throughput(data, points, rounds, parallelisms, block).ConfigureAwait(false);
        }

        if (latency)
        {
            await SlowStream(data, seconds: 10, rate: 1000, blockPoints: 10, TimeSpan.FromMilliseconds(100), parallelism: 2).ConfigureAwait(false);
        }

        if (memory.Count > 0)
        {
            // Cycle over at most 1M pre-generated points, so that the input array does not dominate.
            float[] pool = data.Length > 1_000_000 * D ? data[..(1_000_000 * D)] : data;
            data = [];
            GC.Collect();
            await Memory(pool, memory, parallelism: 2, block).ConfigureAwait(false);
        }
    }
}
