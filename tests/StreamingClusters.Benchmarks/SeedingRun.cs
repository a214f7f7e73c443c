using System.Diagnostics;
using System.Globalization;
using StreamingClusters.Model;
using StreamingClusters.Randomness;
using StreamingClusters.Reference;
using StreamingClusters.Seeding;

namespace StreamingClusters.Benchmarks;

/// <summary>
/// The start-up cost the whole run pays before its first batch (issue 5): k-means++ with the
/// configured candidates, then the Lloyd refinement, on the seeding buffer of the pipeline run's
/// blobs (d = 16, k = 64, 8192 + 1024 points). Best of several repetitions, wall clock (and thread CPU time for k-means++ on one thread).
/// </summary>
internal static class SeedingRun
{
    /// <summary><c>seeding [--points 9216] [--repeat 10]</c>.</summary>
    public static void Run(string[] args)
    {
        int n = 9216, repeat = 10;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--points": n = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--repeat": repeat = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        const int D = 16, K = 64;
        float[] points = PipelineRun.Blobs(n, seed: 12345);
        var settings = new ModelSettings(K, D);
        double bestPlusPlusCpu = double.MaxValue, bestPlusPlus = double.MaxValue, bestLloyd = double.MaxValue, bestSeed = double.MaxValue, bestParallel = double.MaxValue;
        for (int r = 0; r < repeat; r++)
        {
            long start = Stopwatch.GetTimestamp();
            double cpu = QuickRun.ThreadCpuSeconds();
            double[] seeds = KMeansPlusPlus.Seed(points, D, K, new ModelRandom(0), settings.SeedingCandidates);
            bestPlusPlusCpu = Math.Min(bestPlusPlusCpu, (QuickRun.ThreadCpuSeconds() - cpu) * 1e3);
            double plusPlus = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            start = Stopwatch.GetTimestamp();
            _ = BatchKMeans.Lloyd(points, seeds, K, settings.RefineIterations);
            double lloyd = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            start = Stopwatch.GetTimestamp();
            new ClusterModel(settings).Seed(points);
            double seed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            start = Stopwatch.GetTimestamp();
            _ = KMeansPlusPlus.Seed(points, D, K, new ModelRandom(0), settings.SeedingCandidates, parallelism: 2);
            bestParallel = Math.Min(bestParallel, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            bestPlusPlus = Math.Min(bestPlusPlus, plusPlus);
            bestLloyd = Math.Min(bestLloyd, lloyd);
            bestSeed = Math.Min(bestSeed, seed);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT seeding n={n} k-means++ {bestPlusPlus:F2} ms (thread CPU {bestPlusPlusCpu:F2} ms; on 2 threads {bestParallel:F2} ms), Lloyd x{settings.RefineIterations} {bestLloyd:F2} ms, ClusterModel.Seed {bestSeed:F2} ms (best of {repeat})"));
    }
}
