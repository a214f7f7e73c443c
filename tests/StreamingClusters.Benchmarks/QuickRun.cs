using System.Diagnostics;
using System.Globalization;
using StreamingClusters.EStep;
using StreamingClusters.Model;
using StreamingClusters.Statistics;

namespace StreamingClusters.Benchmarks;

/// <summary>
/// A CPU-timed runner for the numpy comparison and quick checks: for each shape, rounds of short runs
/// of the FMA peak, the kernel, the scalar twin and the whole E-step, taken in turn so that each ratio
/// is measured under the same load; the best of the rounds counts. One machine-readable line per
/// figure. BenchmarkDotNet is the careful measurement; this takes seconds.
/// </summary>
internal static class QuickRun
{
    private const int Rounds = 7;

    /// <summary>Receives the peak loop's result, so that the loop cannot be removed as dead code.</summary>
    private static float _sink;

    /// <summary>SC_BENCH_WALL_CLOCK=1 times by the wall clock instead of the thread's CPU clock.</summary>
    private static readonly bool WallClock = Environment.GetEnvironmentVariable("SC_BENCH_WALL_CLOCK") == "1";

    public static void Run(IReadOnlyList<(int D, int K)> shapes, double secondsPerFigure, int points, bool scalar)
    {
        var peak = new FmaPeakBenchmark();
        int widest = FmaPeakBenchmark.WidestLanes;
        double slice = secondsPerFigure / Rounds;
        foreach (var (d, k) in shapes)
        {
            var shape = new Shape(d, k, points);
            var statistics = new ClusterStatistics(k, d);

            // The peak at the widest width the machine accelerates, and at the width the kernel took
            // for this k (the same loop when they agree; the scalar twin has no vector peak of its own).
            int lanes = FmaPeakBenchmark.KernelLanes(k);
            int kernelWidth = lanes > 1 ? lanes : widest;
            double bestPeak = 0, kernelPeak = 0, kernel = 0, twin = 0, estep = 0, read = 0;
            WarmUp(() => _sink += peak.FmaAt(widest));
            if (kernelWidth != widest)
            {
                WarmUp(() => _sink += peak.FmaAt(kernelWidth));
            }

            WarmUp(() => NearestCentroidKernel.FindNearest(shape.Model, shape.Points, shape.Nearest, shape.Scores, shape.SquaredNorms));
            WarmUp(() => HardEStep.Accumulate(shape.Model, shape.Points, statistics));
            for (int round = 0; round < Rounds; round++)
            {
                bestPeak = Math.Max(bestPeak, FmaPeakBenchmark.FlopsPerInvokeAt(widest) * Rate(slice, () => _sink += peak.FmaAt(widest)));
                if (kernelWidth != widest)
                {
                    kernelPeak = Math.Max(kernelPeak, FmaPeakBenchmark.FlopsPerInvokeAt(kernelWidth) * Rate(slice, () => _sink += peak.FmaAt(kernelWidth)));
                }

                kernel = Math.Max(kernel, shape.Count * Rate(slice, () => NearestCentroidKernel.FindNearest(shape.Model, shape.Points, shape.Nearest, shape.Scores, shape.SquaredNorms)));
                estep = Math.Max(estep, shape.Count * Rate(slice, () => HardEStep.Accumulate(shape.Model, shape.Points, statistics)));
                read = Math.Max(read, shape.Count * Rate(slice, () => _sink += ReadCeiling.Sum(shape.Points)));
                if (scalar)
                {
                    twin = Math.Max(twin, shape.Count * Rate(slice, () => NearestCentroidScalar.FindNearest(shape.Model, shape.Points, shape.Nearest, shape.Scores)));
                }
            }

            if (kernelWidth == widest)
            {
                kernelPeak = bestPeak;
            }

            Print("fma-peak-gflops", d, k, bestPeak / 1e9);
            Print("fma-peak-lanes", d, k, widest);
            Print("kernel-lanes", d, k, lanes);
            Print("fma-peak-kernel-width-gflops", d, k, kernelPeak / 1e9);
            Print("kernel-points-per-s", d, k, kernel);
            Print("estep-points-per-s", d, k, estep);
            if (scalar)
            {
                Print("scalar-points-per-s", d, k, twin);
            }

            Print("kernel-fraction-of-peak", d, k, kernel * shape.FlopsPerPoint / bestPeak);
            Print("kernel-fraction-of-kernel-width-peak", d, k, kernel * shape.FlopsPerPoint / kernelPeak);
            Print("read-ceiling-points-per-s", d, k, read);
            Print("read-ceiling-gbytes-per-s", d, k, read * d * sizeof(float) / 1e9);
            Print("kernel-fraction-of-read-ceiling", d, k, kernel / read);
        }
    }

    /// <summary>
    /// Mini-batch k-means as sklearn's MiniBatchKMeans.partial_fit does it: per batch, the E-step and the
    /// M-step (a = 1, so per-centre learning rates 1/w_c, with dead-cluster reseeding), points per second.
    /// </summary>
    public static void RunMiniBatch(int d, int k, int batch, double seconds)
    {
        const int Batches = 64;
        var data = new Shape(d, k, batch * Batches, seed: 777);
        var model = new ClusterModel(new ModelSettings(k, d) { Seed = 1 });
        model.SetCentroids(data.Model.Centroids.ToArray().Select(v => (double)v).ToArray());
        var statistics = new ClusterStatistics(k, d);
        int next = 0;
        void Step()
        {
            ReadOnlySpan<float> points = data.Points.AsSpan(next * batch * d, batch * d);
            next = (next + 1) % Batches;
            statistics.Clear();
            HardEStep.Accumulate(model.Current, points, statistics);
            model.Apply(statistics, 1.0, points);
        }

        double best = 0;
        WarmUp(Step);
        for (int round = 0; round < Rounds; round++)
        {
            best = Math.Max(best, batch * Rate(seconds / Rounds, Step));
        }

        Print("minibatch-points-per-s", d, k, best);
    }

    /// <summary>Runs <paramref name="body"/> for half a second first, so that tiered compilation is done.</summary>
    private static void WarmUp(Action body)
    {
        long end = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 2);
        int calls = 0;
        while (calls < 100 || Stopwatch.GetTimestamp() < end)
        {
            body();
            calls++;
        }
    }

    /// <summary>
    /// Calls <paramref name="body"/> for about <paramref name="seconds"/> of this thread's CPU time and
    /// gives calls per CPU second. CPU time rather than wall time, because the machine is shared: time
    /// the thread spends preempted by other processes does not count against it.
    /// </summary>
    private static double Rate(double seconds, Action body)
    {
        body();
        double start = ThreadCpuSeconds();
        double elapsed;
        long calls = 0;
        do
        {
            body();
            calls++;
            elapsed = ThreadCpuSeconds() - start;
        }
        while (elapsed < seconds);

        return calls / elapsed;
    }

    internal static double ThreadCpuSeconds()
    {
        if (OperatingSystem.IsLinux() && !WallClock)
        {
            NativeMethods.ClockGetTime(NativeMethods.ClockThreadCpuTime, out var time);
            return time.Seconds + (time.Nanoseconds * 1e-9);
        }

        return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
    }

    private static void Print(string what, int d, int k, double value) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {what} d={d} k={k} {value:G6}"));
}
