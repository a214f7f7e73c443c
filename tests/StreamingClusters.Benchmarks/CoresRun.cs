using System.Diagnostics;
using System.Globalization;
using StreamingClusters.EStep;
using StreamingClusters.Statistics;

namespace StreamingClusters.Benchmarks;

/// <summary>
/// What a second core adds on this machine, before any pipeline is involved: the same work on one
/// thread, then on as many threads as there are processors at once, each with its own data. Three
/// kinds of work: the FMA peak loop (the E-step's arithmetic), the E-step of one mini-batch with its
/// statistics (d = 16, k = 64, B = 1,024, as the pipeline runs it), and a scalar integer loop. On
/// real cores each thread keeps its single-thread rate; where the virtual processors share one
/// physical core's units, or the host holds the machine to less than its processors, the total stays
/// near one thread's. The pipeline's 1 → 2 cores figure cannot exceed the E-step's figure here.
/// Wall clock over a fixed time per thread; prints RESULT lines; no assertions.
/// </summary>
internal static class CoresRun
{
    public static void Run(double seconds)
    {
        int processors = Environment.ProcessorCount;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {processors} processors; {seconds:F1} s per measurement; rates in work units per second per thread"));
        var work = new (string Name, string Unit, Func<Func<bool>, long> Body, double UnitsPerRound)[]
        {
            ($"fma (Vector{FmaPeakBenchmark.WidestLanes * 32})", "GFLOP/s", FmaRounds, FmaPeakBenchmark.FlopsPerInvoke / 1e9),
            ("e-step d=16 k=64 B=1024", "M points/s", EStepRounds(), 1024 / 1e6),
            ("integer", "G steps/s", IntegerRounds, IntegerSteps / 1e9),
        };

        foreach (var (name, unit, body, unitsPerRound) in work)
        {
            // Warm-up (JIT) on one thread, not reported.
            Measure(body, 1, Math.Min(0.3, seconds));
            double one = 0, all = 0;
            for (int round = 0; round < 2; round++)
            {
                double[] single = Measure(body, 1, seconds);
                double[] many = Measure(body, processors, seconds);
                one = Math.Max(one, single[0] * unitsPerRound);
                all = Math.Max(all, many.Sum() * unitsPerRound);
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"# {name}: 1 thread {single[0] * unitsPerRound:F2} {unit}; {processors} threads {string.Join(" + ", many.Select(r => (r * unitsPerRound).ToString("F2", CultureInfo.InvariantCulture)))} = {many.Sum() * unitsPerRound:F2} {unit}"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT cores {name}: {processors} threads / 1 thread = {all / one:F2} (best rounds: {one:F2} and {all:F2} {unit})"));
        }

        if (processors > 1)
        {
            Handoff();
            WakeCosts();
        }
    }

    /// <summary>
    /// What it costs two threads to meet, best of three rounds: a round trip through a shared flag
    /// with both spinning (each on its core, the cache line crossing twice); a round trip with both
    /// blocking in the kernel between turns (<see cref="AutoResetEvent"/>, which does not spin: each
    /// turn wakes a sleeping thread on the other processor); and one <see cref="Thread.Yield"/> with
    /// nothing else to run. On a virtual machine the blocking round trip is where the hypervisor
    /// shows: the wake-up of an idle virtual processor goes through it.
    /// </summary>
    private static void WakeCosts()
    {
        const int SpinTrips = 200_000, BlockTrips = 5_000, Yields = 200_000;
        double spin = double.MaxValue, block = double.MaxValue, yield = double.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            int flag = 0;
            var partner = new Thread(() =>
            {
                for (int i = 0; i < SpinTrips; i++)
                {
                    SpinUntil(ref flag, 1);

                    Volatile.Write(ref flag, 0);
                }
            });
            partner.Start();
            long started = Stopwatch.GetTimestamp();
            for (int i = 0; i < SpinTrips; i++)
            {
                Volatile.Write(ref flag, 1);
                SpinUntil(ref flag, 0);
            }

            spin = Math.Min(spin, Stopwatch.GetElapsedTime(started).TotalNanoseconds / SpinTrips);
            partner.Join();

            using var ping = new AutoResetEvent(false);
            using var pong = new AutoResetEvent(false);
            partner = new Thread(() =>
            {
                for (int i = 0; i < BlockTrips; i++)
                {
                    ping.WaitOne();
                    pong.Set();
                }
            });
            partner.Start();
            started = Stopwatch.GetTimestamp();
            for (int i = 0; i < BlockTrips; i++)
            {
                ping.Set();
                pong.WaitOne();
            }

            block = Math.Min(block, Stopwatch.GetElapsedTime(started).TotalMicroseconds / BlockTrips);
            partner.Join();

            started = Stopwatch.GetTimestamp();
            for (int i = 0; i < Yields; i++)
            {
                Thread.Yield();
            }

            yield = Math.Min(yield, Stopwatch.GetElapsedTime(started).TotalNanoseconds / Yields);
        }

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"RESULT cores wake: round trip spinning {spin:F0} ns, blocking {block:F2} µs; Thread.Yield alone {yield:F0} ns (best of 3 rounds)"));
    }

    /// <summary>
    /// Spins until <paramref name="flag"/> holds <paramref name="value"/>, yielding now and then: should
    /// both threads share one processor (a CPU quota), the other gets to run without waiting for a tick.
    /// </summary>
    private static void SpinUntil(ref int flag, int value)
    {
        for (int spins = 1; Volatile.Read(ref flag) != value; spins++)
        {
            if (spins % 1024 == 0)
            {
                Thread.Yield();
            }
            else
            {
                Thread.SpinWait(1);
            }
        }
    }

    /// <summary>
    /// The E-step of one mini-batch (d = 16, k = 64, B = 1,024) timed three ways, microseconds per
    /// batch by the wall clock: the points copied into the batch buffer by this thread just before;
    /// copied by another thread, up to seven batches ahead through a ring of eight buffers (a short
    /// channel); and in lockstep as the model stage runs a helper, the other thread building a new model
    /// version and copying the batch, then reading the statistics back. The differences are what the
    /// points, the model version and the statistics cost when they cross cores.
    /// </summary>
    private static void Handoff()
    {
        const int D = 16, K = 64, B = 1024, Batches = 256, Ring = 8, Count = 4000;
        var data = new Shape(D, K, B * Batches, seed: 7);
        var ring = new float[Ring][];
        for (int r = 0; r < Ring; r++)
        {
            ring[r] = new float[B * D];
        }

        var statistics = new ClusterStatistics(K, D);
        var nearest = new int[B];
        var distances = new float[B];
        double microseconds = 1e6 / Stopwatch.Frequency;
        double bestSame = double.MaxValue, bestAhead = double.MaxValue, bestLockstep = double.MaxValue;
        ReadOnlySpan<float> Source(int batch) => data.Points.AsSpan(batch % Batches * B * D, B * D);
        long EStep(CentroidSet model, float[] points)
        {
            long started = Stopwatch.GetTimestamp();
            statistics.Clear();
            HardEStep.Accumulate(model, points, statistics, nearest, distances);
            return Stopwatch.GetTimestamp() - started;
        }

        for (int round = 0; round < 3; round++)
        {
            long same = 0;
            for (int b = 0; b < Count; b++)
            {
                Source(b).CopyTo(ring[b % Ring]);
                same += EStep(data.Model, ring[b % Ring]);
            }

            int written = -1, consumed = -1;
            var writer = new Thread(() =>
            {
                for (int b = 0; b < Count; b++)
                {
                    while (b - Volatile.Read(ref consumed) >= Ring)
                    {
                        Thread.SpinWait(20);
                    }

                    Source(b).CopyTo(ring[b % Ring]);
                    Volatile.Write(ref written, b);
                }
            });
            writer.Start();
            long ahead = 0;
            for (int b = 0; b < Count; b++)
            {
                while (Volatile.Read(ref written) < b)
                {
                    Thread.SpinWait(20);
                }

                ahead += EStep(data.Model, ring[b % Ring]);
                Volatile.Write(ref consumed, b);
            }

            writer.Join();

            var centroids = new double[K * D];
            for (int i = 0; i < centroids.Length; i++)
            {
                centroids[i] = data.Model.Centroids[i];
            }

            CentroidSet? version = null;
            int ready = -1, done = -1;
            double readBack = 0;
            var model = new Thread(() =>
            {
                for (int b = 0; b < Count; b++)
                {
                    centroids[b % centroids.Length] += 1e-9;
                    var next = new CentroidSet(centroids, K, b);
                    Source(b).CopyTo(ring[b % Ring]);
                    Volatile.Write(ref version, next);
                    Volatile.Write(ref ready, b);
                    while (Volatile.Read(ref done) < b)
                    {
                        Thread.SpinWait(20);
                    }

                    foreach (double sum in statistics.Sums)
                    {
                        readBack += sum;
                    }
                }
            });
            model.Start();
            long lockstep = 0;
            for (int b = 0; b < Count; b++)
            {
                while (Volatile.Read(ref ready) < b)
                {
                    Thread.SpinWait(20);
                }

                lockstep += EStep(Volatile.Read(ref version)!, ring[b % Ring]);
                Volatile.Write(ref done, b);
            }

            model.Join();
            GC.KeepAlive(readBack);
            double s = same * microseconds / Count, a = ahead * microseconds / Count, l = lockstep * microseconds / Count;
            (bestSame, bestAhead, bestLockstep) = (Math.Min(bestSame, s), Math.Min(bestAhead, a), Math.Min(bestLockstep, l));
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"# handoff: E-step of a batch (µs) with points copied by this thread {s:F2}; by the other thread, up to {Ring - 1} batches ahead {a:F2}; in lockstep with the other thread making the model version and reading the statistics back {l:F2}"));
        }

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"RESULT cores handoff: E-step µs per batch, best rounds: points from this thread {bestSame:F2}, from the other {bestAhead:F2} ({bestAhead / bestSame:F2}x), lockstep with a model version and statistics crossing {bestLockstep:F2} ({bestLockstep / bestSame:F2}x)"));
    }

    /// <summary>Runs <paramref name="body"/> on <paramref name="threads"/> threads started together for <paramref name="seconds"/>; rounds per second of each.</summary>
    private static double[] Measure(Func<Func<bool>, long> body, int threads, double seconds)
    {
        var rates = new double[threads];
        using var start = new ManualResetEventSlim();
        var running = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            running[t] = new Thread(() =>
            {
                start.Wait();
                long until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
                long began = Stopwatch.GetTimestamp();
                long rounds = body(() => Stopwatch.GetTimestamp() < until);
                rates[index] = rounds / Stopwatch.GetElapsedTime(began).TotalSeconds;
            });
            running[t].Start();
        }

        start.Set();
        foreach (Thread thread in running)
        {
            thread.Join();
        }

        return rates;
    }

    private static long FmaRounds(Func<bool> more)
    {
        var peak = new FmaPeakBenchmark();
        long rounds = 0;
        float sink = 0;
        while (more())
        {
            sink += peak.Fma();
            rounds++;
        }

        GC.KeepAlive(sink);
        return rounds;
    }

    /// <summary>Each thread its own points, model and statistics: nothing shared but the machine.</summary>
    private static Func<Func<bool>, long> EStepRounds() => more =>
    {
        const int D = 16, K = 64, B = 1024, Batches = 16;
        var data = new Shape(D, K, B * Batches, seed: Environment.CurrentManagedThreadId);
        var statistics = new ClusterStatistics(K, D);
        var nearest = new int[B];
        var distances = new float[B];
        long rounds = 0;
        while (more())
        {
            statistics.Clear();
            int batch = (int)(rounds % Batches);
            HardEStep.Accumulate(data.Model, data.Points.AsSpan(batch * B * D, B * D), statistics, nearest, distances);
            rounds++;
        }

        return rounds;
    };

    private const int IntegerSteps = 1 << 20;

    private static long IntegerRounds(Func<bool> more)
    {
        ulong state = 0x9E3779B97F4A7C15;
        long rounds = 0;
        while (more())
        {
            for (int i = 0; i < IntegerSteps; i++)
            {
                // xorshift64: a chain of dependent scalar integer operations.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
            }

            rounds++;
        }

        GC.KeepAlive(state);
        return rounds;
    }
}
