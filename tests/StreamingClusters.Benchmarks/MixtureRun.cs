using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.EStep;
using StreamingClusters.Mixture;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Statistics;

namespace StreamingClusters.Benchmarks;

/// <summary>
/// The Gaussian mixture against scikit-learn (driven by compare_mixture.py):
/// <c>mixture fit DATA D K OUT [--seed S] [--batch B] [--buffer N]</c> learns from the float32 file in one
/// streaming pass through the library's pipeline, once as a Gaussian mixture and once as k-means (the same
/// settings), then scores every point against each final model and writes OUT.json (the mixture's
/// parameters) and OUT.gmm-labels, OUT.kmeans-labels (int32);
/// <c>mixture estep DATA PARAMS D K [--seconds S]</c> times the soft E-step (statistics, scoring; Vector512,
/// Vector256 and scalar layouts) and the hard one (on the mixture's means) over the same points, in
/// alternate short runs on the thread's CPU clock, best of seven.
/// </summary>
internal static class MixtureRun
{
    private const int Rounds = 7;

    public static void Run(string[] args)
    {
        switch (args[1])
        {
            case "fit":
                FitAsync(args).GetAwaiter().GetResult();
                break;
            case "estep":
                EStep(args);
                break;
            default:
                throw new ArgumentException($"Unknown mixture mode {args[1]}: give fit or estep.");
        }
    }

    private static async Task FitAsync(string[] args)
    {
        string data = args[2];
        int d = int.Parse(args[3], CultureInfo.InvariantCulture);
        int k = int.Parse(args[4], CultureInfo.InvariantCulture);
        string output = args[5];
        ulong seed = Option(args, "--seed", 0UL);
        int batch = Option(args, "--batch", 1024);
        int buffer = Option(args, "--buffer", 8192);
        float[] points = ReadFloats(data);
        int n = points.Length / d;
        foreach (string model in new[] { "GaussianMixture", "KMeans" })
        {
            var options = new StreamingClustersOptions
            {
                Model = model,
                Clusters = k,
                BatchSize = batch,
                Seed = seed,
                Parallelism = 1,
                Seeding = { BufferSize = buffer },
            };
            var pipeline = new ClusteringPipeline(options, new PipelineRun.NoDeadLetters(), TimeProvider.System, NullLoggerFactory.Instance);
            using var stop = new CancellationTokenSource();
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token);
            for (int start = 0; start < n; start += 4096)
            {
                int count = Math.Min(4096, n - start);
                await pipeline.Writer.WriteAsync(points.AsMemory(start * d, count * d), d).ConfigureAwait(false);
            }

            await stop.CancelAsync().ConfigureAwait(false);
            await running.ConfigureAwait(false);
            double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            CentroidSnapshot final = pipeline.Latest!;
            IClusterScorer scorer = pipeline;
            var labels = new int[n];
            var scores = new float[n];
            var top = new float[n];
            scorer.Score(points, labels, scores, top);
            string name = model == "KMeans" ? "kmeans" : "gmm";
            await File.WriteAllBytesAsync($"{output}.{name}-labels", System.Runtime.InteropServices.MemoryMarshal.AsBytes(labels.AsSpan()).ToArray()).ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {name}-pass-seconds {seconds:F3}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {name}-points-applied {final.PointsApplied}"));
            if (model == "GaussianMixture")
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT gmm-stream-mean-log-likelihood {final.MeanLogLikelihood:F6}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT gmm-final-mean-log-likelihood {scores.Select(s => (double)s).Average():F6}"));
                var parameters = new Dictionary<string, object>
                {
                    ["means"] = final.Centroids,
                    ["variances"] = final.Variances!,
                    ["priors"] = final.Priors!,
                };
                await File.WriteAllTextAsync($"{output}.json", JsonSerializer.Serialize(parameters)).ConfigureAwait(false);
            }
        }
    }

    private static void EStep(string[] args)
    {
        string data = args[2];
        string parameters = args[3];
        int d = int.Parse(args[4], CultureInfo.InvariantCulture);
        int k = int.Parse(args[5], CultureInfo.InvariantCulture);
        double seconds = Option(args, "--seconds", 1.0);
        float[] points = ReadFloats(data);
        int n = points.Length / d;
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(parameters));
        double[] means = [.. json.RootElement.GetProperty("means").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => v.GetDouble())];
        double[] variances = [.. json.RootElement.GetProperty("variances").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => v.GetDouble())];
        double[] priors = [.. json.RootElement.GetProperty("priors").EnumerateArray().Select(v => v.GetDouble())];
        if (means.Length != k * d || variances.Length != k * d || priors.Length != k)
        {
            throw new ArgumentException($"The parameters are not of k = {k}, d = {d}.");
        }

        var soft = new MixtureComponents(means, variances, priors);
        var soft256 = new MixtureComponents(means, variances, priors, 0, Vector256Lanes());
        var scalar = new MixtureComponents(means, variances, priors, 0, 1);
        var hard = new CentroidSet(means, k);
        var statistics = new MixtureStatistics(k, d);
        var hardStatistics = new ClusterStatistics(k, d);
        var labels = new int[n];
        var scores = new float[n];
        var top = new float[n];
        var densities = new float[soft.PaddedClusters];
        (string Name, Action Body)[] figures =
        [
            ("soft-estep", () => { statistics.Clear(); SoftEStep.Accumulate(soft, points, statistics); }),
            ("soft-score", () => SoftEStep.Score(soft, points, labels, scores, top)),
            ("soft-log-densities", () => LogDensities(soft, points, densities)),
            ("soft-estep-vector256", () => { statistics.Clear(); SoftEStep.Accumulate(soft256, points, statistics); }),
            ("soft-estep-scalar", () => { statistics.Clear(); SoftEStep.Accumulate(scalar, points, statistics); }),
            ("hard-estep", () => { hardStatistics.Clear(); HardEStep.Accumulate(hard, points, hardStatistics); }),
        ];
        Console.WriteLine($"# soft layout: {soft.Lanes} lanes (Vector512 accelerated: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}, Vector256: {System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated}); {n} points, d = {d}, k = {k}");
        var best = new double[figures.Length];
        foreach ((_, Action body) in figures)
        {
            body();
            body();
        }

        for (int round = 0; round < Rounds; round++)
        {
            for (int f = 0; f < figures.Length; f++)
            {
                best[f] = Math.Max(best[f], n * Rate(seconds / Rounds, figures[f].Body));
            }
        }

        for (int f = 0; f < figures.Length; f++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {figures[f].Name}-points-per-s d={d} k={k} {best[f]:F0}"));
        }

        statistics.Clear();
        SoftEStep.Accumulate(soft, points, statistics);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT soft-mean-log-likelihood d={d} k={k} {statistics.LogLikelihood / n:F6}"));
    }

    /// <summary>The kernel alone: every point's log-densities, none of the log-sum-exp or the statistics.</summary>
    private static void LogDensities(MixtureComponents model, float[] points, float[] densities)
    {
        int d = model.Dimensions;
        for (int i = 0; i < points.Length; i += d)
        {
            SoftEStep.LogDensities(model, points.AsSpan(i, d), densities);
        }
    }

    private static int Vector256Lanes() => System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? 8 : 1;

    private static double Rate(double seconds, Action body)
    {
        double start = CpuSeconds();
        double elapsed;
        long calls = 0;
        do
        {
            body();
            calls++;
            elapsed = CpuSeconds() - start;
        }
        while (elapsed < seconds);

        return calls / elapsed;
    }

    private static double CpuSeconds() => OperatingSystem.IsLinux()
        ? ThreadCpuClock.Instance.GetTimestamp() / 1e9
        : System.Diagnostics.Stopwatch.GetTimestamp() / (double)System.Diagnostics.Stopwatch.Frequency;

    private static float[] ReadFloats(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    private static T Option<T>(string[] args, string name, T fallback)
        where T : IParsable<T>
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? T.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
