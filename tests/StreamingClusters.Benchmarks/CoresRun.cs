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
            ("fma", "GFLOP/s", FmaRounds, FmaPeakBenchmark.FlopsPerInvoke / 1e9),
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
