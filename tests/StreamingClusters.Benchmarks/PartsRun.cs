using System.Diagnostics;
using System.Globalization;
using StreamingClusters.EStep;
using StreamingClusters.Model;
using StreamingClusters.Statistics;

namespace StreamingClusters.Benchmarks;

/// <summary>
/// The per-batch parts of one mini-batch step timed apart (d = 16, k = 64, B = 1024): the E-step with
/// statistics, the M-step (ClusterModel.Apply, which builds the next version's CentroidSet), and the
/// CentroidSet build alone. Best of several chunks of this thread's CPU time, µs per batch; to locate per-batch costs.
/// Then the pipeline's parallel E-step of one batch at Parallelism 1 and 2, in wall-clock time (the
/// helper thread's share is part of it).
/// </summary>
internal static class PartsRun
{
    public static void Run()
    {
        const int D = 16, K = 64, B = 1024, Batches = 64;
        var data = new Shape(D, K, B * Batches, seed: 777);
        var model = new ClusterModel(new ModelSettings(K, D) { Seed = 1 });
        model.SetCentroids(data.Model.Centroids.ToArray().Select(v => (double)v).ToArray());
        var statistics = new ClusterStatistics(K, D);
        double[] centroids = model.Centroids.ToArray();
        int next = 0;
        ReadOnlySpan<float> Batch()
        {
            next = (next + 1) % Batches;
            return data.Points.AsSpan(next * B * D, B * D);
        }

        Time("e-step+statistics", () =>
        {
            statistics.Clear();
            HardEStep.Accumulate(model.Current, Batch(), statistics);
        });
        Time("m-step (Apply)", () => model.Apply(statistics, 1.0, Batch()));
        Time("m-step (Apply, no reseed points)", () => model.Apply(statistics, 1.0, []));
        Time("CentroidSet build", () => _ = new CentroidSet(centroids, K, 1));

        // The pipeline's E-step of one batch (4 shards of 256), on the caller alone and with one
        // helper thread; wall clock, since the helper's time is part of it.
        foreach (int parallelism in new[] { 1, 2 })
        {
            var eStep = new StreamingClusters.EStep.ParallelEStep(K, D, 256, parallelism, B);
            float[] points = data.Points.AsSpan(0, B * D).ToArray();
            try
            {
                TimeWall($"parallel e-step, Parallelism {parallelism}", () => eStep.Run(model.Current, points, B));
            }
            finally
            {
                eStep.Stop();
            }
        }
    }

    private static void TimeWall(string name, Action step)
    {
        const int Chunk = 2000;
        double best = double.MaxValue;
        var all = new List<double>();
        for (int round = 0; round < 15; round++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < Chunk; i++)
            {
                step();
            }

            double us = Stopwatch.GetElapsedTime(start).TotalMicroseconds / Chunk;
            all.Add(us);
            best = Math.Min(best, us);
        }

        all.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT part {name}: {best:F2} us per batch wall, median {all[all.Count / 2]:F2} (best and median of 15 chunks of {Chunk})"));
    }

    private static void Time(string name, Action step)
    {
        const int Chunk = 2000;
        double best = double.MaxValue;
        for (int round = 0; round < 15; round++)
        {
            double start = QuickRun.ThreadCpuSeconds();
            for (int i = 0; i < Chunk; i++)
            {
                step();
            }

            best = Math.Min(best, (QuickRun.ThreadCpuSeconds() - start) * 1e6 / Chunk);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT part {name}: {best:F2} us per batch (best of 15 chunks of {Chunk})"));
    }
}
