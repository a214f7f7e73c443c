using System.Diagnostics;
using System.Globalization;
using StreamingClusters.EStep;
using StreamingClusters.Model;
using StreamingClusters.Randomness;
using StreamingClusters.Statistics;

namespace StreamingClusters.Benchmarks;

/// <summary>
/// The repair's figures (issue 16), the model alone in one thread as the pipeline drives it: seeding
/// buffer of 8,192 points applied as the first batch, then batches of 1,024.
/// <list type="bullet">
/// <item><c>repair blobs DATA [--seeds N] [--first-seed F] [--points N] [--runs-only] [--on-only]</c>: writes N points of 64 Gaussian blobs (d = 16,
/// spreads 0.5–2) to DATA (float32, row-major) and prints each seed's objective (mean squared distance
/// over all the points) with the repair off and on, in arrival order and sorted into runs of 10,000
/// per blob; compare_repair.py gives batch k-means' on the same file.</item>
/// <item><c>repair drift [--seeds N]</c>: k = 4, d = 4, half-life 20,000 points; mode 3 dies and a mode is
/// born 30 away from mode 0; prints the points after the newborn's first until it has a centroid of its
/// own (nearest to it and to no other live mode, within 1 of its centre), in half-lives.</item>
/// <item><c>repair long [--points N] [--half-life H]</c>: a stationary stream of N blob points (forgetting with a half-life of H points if given); prints the id changes in each half.</item>
/// </list>
/// </summary>
internal static class RepairRun
{
    private const int Seeding = 8192;
    private const int Batch = 1024;

    /// <summary>Gets the repair's cadence (<c>--every N</c>, default the model's).</summary>
    private static int Every { get; set; } = new ModelSettings(1, 1).RepairEvery;

    /// <summary>Gets the starved-cluster ratio (<c>--reseed-ratio X</c>, default the model's).</summary>
    private static double ReseedRatio { get; set; } = new ModelSettings(1, 1).ReseedRatio;

    /// <summary>Gets the seeding's starts, breaths, depth and refinement (<c>--starts</c>, <c>--breaths</c>, <c>--depth</c>, <c>--refine</c>, <c>--candidates</c>; default the model's).</summary>
    private static ModelSettings SeedingChoices { get; set; } = new(1, 1);

    /// <summary>The settings of a run: the model's defaults with the repair's cadence, reseed ratio and seeding as chosen on the command line.</summary>
    private static ModelSettings Settings(int k, int d, ulong seed, bool repair) => new(k, d)
    {
        Seed = seed,
        Repair = repair,
        RepairEvery = Every,
        ReseedRatio = ReseedRatio,
        SeedingStarts = SeedingChoices.SeedingStarts,
        SeedingBreaths = SeedingChoices.SeedingBreaths,
        BreathingDepth = SeedingChoices.BreathingDepth,
        RefineIterations = SeedingChoices.RefineIterations,
        SeedingCandidates = SeedingChoices.SeedingCandidates,
    };

    public static void Run(string[] args)
    {
        var defaults = new ModelSettings(1, 1);
        SeedingChoices = defaults with
        {
            SeedingStarts = Option(args, "--starts", defaults.SeedingStarts),
            SeedingBreaths = Option(args, "--breaths", defaults.SeedingBreaths),
            BreathingDepth = Option(args, "--depth", defaults.BreathingDepth),
            RefineIterations = Option(args, "--refine", defaults.RefineIterations),
            SeedingCandidates = Option(args, "--candidates", defaults.SeedingCandidates),
        };
        Every = Option(args, "--every", Every);
        int ratio = Array.IndexOf(args, "--reseed-ratio");
        ReseedRatio = ratio >= 0 ? double.Parse(args[ratio + 1], CultureInfo.InvariantCulture) : ReseedRatio;
        int seeds = Option(args, "--seeds", 20);
        switch (args[1])
        {
            case "blobs":
                Blobs(args[2], seeds, Option(args, "--points", 1_000_000), Option(args, "--dimensions", 16), Option(args, "--clusters", 64), Array.IndexOf(args, "--no-runs") < 0, Option(args, "--first-seed", 1), Array.IndexOf(args, "--runs-only") >= 0, Array.IndexOf(args, "--on-only") >= 0);
                break;
            case "file":
                FromFile(args[2], int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture), seeds, Option(args, "--passes", 1));
                break;
            case "seeding":
                SeedingOnly(args, args[2], int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture), seeds);
                break;
            case "seeding-cost":
                SeedingCost(args[2], int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture), seeds);
                break;
            case "drift":
                Drift(seeds);
                break;
            case "cost":
                Cost(args[2], Option(args, "--rounds", 5), Option(args, "--passes", 3));
                break;
            case "trace":
                Trace(Option(args, "--seed", 1), Option(args, "--points", 1_000_000), Array.IndexOf(args, "--arrival") < 0);
                break;
            case "long":
                Long(Option(args, "--points", 10_000_000), seeds, Option(args, "--half-life", 0));
                break;
            default:
                throw new ArgumentException($"No such run: {args[1]}.");
        }
    }

    private static void Blobs(string path, int seeds, int count, int dimensions, int clusters, bool runs, int firstSeed, bool runsOnly, bool onOnly)
    {
        int D = dimensions, K = clusters;
        var generator = new BlobStream(D, K, side: 30, seed: 1234);
        var points = new float[count * D];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = generator.Next(points.AsSpan(i * D, D));
        }

        using (var file = File.Create(path))
        {
            file.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(points.AsSpan()));
        }

        Console.WriteLine($"# {count} points, d = {D}, k = {K}, data in {path}; objective = mean squared distance over all points");
        Console.WriteLine("RESULT seed order repair objective moves seconds");
        (string, float[])[] orders = runsOnly ? [("runs", RunsOf(points, labels, D, K, 10_000))] : runs ? [("arrival", points), ("runs", RunsOf(points, labels, D, K, 10_000))] : [("arrival", points)];
        foreach ((string order, float[] data) in orders)
        {
            for (int seed = firstSeed; seed < firstSeed + seeds; seed++)
            {
                foreach (bool repair in onOnly ? new[] { true } : new[] { false, true })
                {
                    var watch = Stopwatch.StartNew();
                    (ClusterModel model, int moves) = Stream(data, D, K, (ulong)seed, repair, halfLife: 0);
                    double seconds = watch.Elapsed.TotalSeconds;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {seed} {order} {(repair ? "on" : "off")} {Objective(model, points):G6} {moves} {seconds:F2}"));
                }
            }
        }
    }

    /// <summary>
    /// One seed's run on the blobs (runs of 10,000 per blob unless <c>--arrival</c>), the repair on: each
    /// move and reseed with the point it happened at and the blob then arriving, and at the end each blob
    /// that has no centroid of its own or more than one, with its share of the objective above its spread's.
    /// </summary>
    private static void Trace(int seed, int count, bool runs)
    {
        const int D = 16, K = 64;
        var generator = new BlobStream(D, K, side: 30, seed: 1234);
        var points = new float[count * D];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = generator.Next(points.AsSpan(i * D, D));
        }

        float[] data = points;
        int[] dataLabels = labels;
        if (runs)
        {
            (data, dataLabels) = RunsOfWithLabels(points, labels, D, K, 10_000);
        }

        var model = new ClusterModel(Settings(K, D, (ulong)seed, repair: true));
        model.Seed(data.AsSpan(0, Seeding * D));
        for (int start = 0; start < count;)
        {
            int n = start == 0 ? Seeding : Math.Min(Batch, count - start);
            ReadOnlySpan<float> batch = data.AsSpan(start * D, n * D);
            var statistics = new ClusterStatistics(K, D);
            HardEStep.Accumulate(model.Current, batch, statistics);
            double[] before = model.Centroids.ToArray();
            double[] weights = model.Weights.ToArray();
            ModelUpdate update = model.Apply(statistics, 1, batch);
            if (Environment.GetEnvironmentVariable("TRACE_FROM") is { } from && start >= int.Parse(from, CultureInfo.InvariantCulture) && start < int.Parse(from, CultureInfo.InvariantCulture) + 20_000)
            {
                int bestC = -1;
                double bestGain = 0;
                for (int c = 0; c < K; c++)
                {
                    long m = statistics.Counts[c];
                    if (m < 8)
                    {
                        continue;
                    }

                    double between = 0;
                    for (int j = 0; j < D; j++)
                    {
                        double diff = before[(c * D) + j] - (statistics.SumOf(c)[j] / m);
                        between += diff * diff;
                    }

                    double gain = weights[c] * m / (weights[c] + m) * between;
                    if (gain > bestGain)
                    {
                        (bestGain, bestC) = (gain, c);
                    }
                }

                double least = double.PositiveInfinity;
                string leastText = "";
                long[] held = model.ToState().HeldUntil!;
                for (int c = 0; c < K; c++)
                {
                    for (int o = 0; o < K; o++)
                    {
                        if (o == c || held[c] >= model.Version)
                        {
                            continue;
                        }

                        double dist = 0;
                        for (int j = 0; j < D; j++)
                        {
                            double diff = model.Centroids[(c * D) + j] - model.Centroids[(o * D) + j];
                            dist += diff * diff;
                        }

                        double w = model.Weights[c] * model.Weights[o] / (model.Weights[c] + model.Weights[o]) * dist;
                        if (w < least)
                        {
                            least = w;
                            leastText = string.Create(CultureInfo.InvariantCulture, $"{c}(w {model.Weights[c]:F0} blob {NearestBlob(generator, model.Centroids.Slice(c * D, D), D)})+{o}(w {model.Weights[o]:F0} blob {NearestBlob(generator, model.Centroids.Slice(o * D, D), D)})");
                        }
                    }
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"STEP point {start} v {model.Version} blob {dataLabels[start]} recent {bestC} (w {weights[Math.Max(bestC, 0)]:F0} n {(bestC >= 0 ? statistics.Counts[bestC] : 0)}) gain {bestGain:G4} least {least:G4} {leastText} held {held.Count(h => h >= model.Version)}: {string.Join(' ', Enumerable.Range(0, K).Where(c => held[c] >= model.Version).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c}(w {model.Weights[c]:F0} blob {NearestBlob(generator, model.Centroids.Slice(c * D, D), D)} until {held[c]})")))}"));
            }

            foreach (ClusterEvent e in update.Events.Where(e => e.Kind != ClusterEventKind.Seeded))
            {
                ReadOnlySpan<double> mu = e.Kind == ClusterEventKind.Removed ? before.AsSpan(e.Slot * D, D) : model.Centroids.Slice(e.Slot * D, D);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"EVENT point {start} blob {dataLabels[start]}..{dataLabels[start + n - 1]} {e.Kind} slot {e.Slot} w {(e.Kind == ClusterEventKind.Removed ? weights[e.Slot] : model.Weights[e.Slot]):F0} near-blob {NearestBlob(generator, mu, D)} {e.Reason}"));
            }

            start += n;
        }

        var owners = new int[K];
        for (int c = 0; c < K; c++)
        {
            owners[NearestBlob(generator, model.Centroids.Slice(c * D, D), D)]++;
        }

        var assigned = new int[count];
        var distances = new float[count];
        HardEStep.Assign(model.Current, points, assigned, distances);
        var error = new double[K];
        var size = new int[K];
        for (int i = 0; i < count; i++)
        {
            error[labels[i]] += distances[i];
            size[labels[i]]++;
        }

        double total = distances.Sum(x => (double)x) / count;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT seed {seed} objective {total:G6}"));
        for (int b = 0; b < K; b++)
        {
            double ideal = D * generator.Spread(b) * generator.Spread(b);
            double excess = (error[b] / size[b]) - ideal;
            if (owners[b] != 1 || excess > 0.05 * ideal)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"BLOB {b} centroids {owners[b]} mean-error {error[b] / size[b]:F2} spread-error {ideal:F2} share-of-objective-above {excess * size[b] / count:F3}"));
            }
        }
    }

    private static int NearestBlob(BlobStream generator, ReadOnlySpan<double> mu, int d)
    {
        int best = 0;
        double bestDistance = double.PositiveInfinity;
        for (int b = 0; b < generator.Count; b++)
        {
            double sum = 0;
            for (int j = 0; j < d; j++)
            {
                double diff = mu[j] - generator.Centre(b)[j];
                sum += diff * diff;
            }

            if (sum < bestDistance)
            {
                (best, bestDistance) = (b, sum);
            }
        }

        return best;
    }

    /// <summary>
    /// A data file of float32 rows (d values each, row-major, e.g. Fashion-MNIST from compare_repair.py
    /// --write-fashion-mnist) streamed in its order, <c>--passes</c> times, with the repair off and on:
    /// each seed's objective (mean squared distance over all rows) after each pass.
    /// </summary>
    private static void FromFile(string path, int d, int k, int seeds, int passes)
    {
        float[] points = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();
        int count = points.Length / d;
        Console.WriteLine($"# {count} rows, d = {d}, k = {k}, from {path}; objective = mean squared distance over all rows");
        Console.WriteLine("RESULT seed repair pass objective moves seconds");
        for (int seed = 1; seed <= seeds; seed++)
        {
            foreach (bool repair in new[] { false, true })
            {
                var watch = Stopwatch.StartNew();
                var model = new ClusterModel(Settings(k, d, (ulong)seed, repair));
                model.Seed(points.AsSpan(0, Seeding * d));
                int moves = Apply(model, points, 0, Seeding, 0);
                for (int pass = 1; pass <= passes; pass++)
                {
                    for (int start = pass == 1 ? Seeding : 0; start < count; start += Batch)
                    {
                        moves += Apply(model, points, start, Math.Min(Batch, count - start), 0);
                    }

                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {seed} {(repair ? "on" : "off")} {pass} {Objective(model, points):G6} {moves} {watch.Elapsed.TotalSeconds:F1}"));
                }
            }
        }
    }

    /// <summary>
    /// The seeding alone and its effect (<c>repair seeding DATA d k [--starts S] [--breaths B] [--depth m]
    /// [--refine R] [--passes P] [--full-lloyd I] [--first-seed F]</c>): per seed, the buffer objective the
    /// start reaches (mean squared distance over the buffer), the seeding's process CPU and wall time, then the
    /// objective over all rows after each pass with the repair on; with <c>--full-lloyd</c>, also batch
    /// Lloyd's objective on all rows from the seeded centroids after at most I iterations (the basin the start lies in).
    /// </summary>
    private static void SeedingOnly(string[] args, string path, int d, int k, int seeds)
    {
        float[] points = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();
        int count = points.Length / d;
        int passes = Option(args, "--passes", 1);
        int fullLloyd = Option(args, "--full-lloyd", 0);
        int first = Option(args, "--first-seed", 1);
        ModelSettings settings = Settings(k, d, 0, Array.IndexOf(args, "--repair-off") < 0);
        int parallelism = Option(args, "--parallelism", 1);
        Console.WriteLine($"# {count} rows, d = {d}, k = {k}, from {path}; starts {settings.SeedingStarts}, breaths {settings.SeedingBreaths}, depth {settings.BreathingDepth}, refine {settings.RefineIterations}, candidates {settings.SeedingCandidates}, repair {settings.Repair}, parallelism {parallelism}");
        Console.WriteLine("RESULT seed buffer-objective seeding-cpu-s seeding-wall-s start breaths-kept breaths-tried lloyd-iterations pass objective... [full-lloyd iterations objective]");
        for (int seed = first; seed < first + seeds; seed++)
        {
            var model = new ClusterModel(settings with { Seed = (ulong)seed });
            TimeSpan before = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            model.Seed(points.AsSpan(0, Seeding * d), parallelism);
            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds;
            double wallSeconds = wall.Elapsed.TotalSeconds;
            var line = new System.Text.StringBuilder();
            StreamingClusters.Seeding.BufferSeedingResult result = model.LastSeeding!;
            line.Append(CultureInfo.InvariantCulture, $"RESULT {seed} {result.Objective / Seeding:G7} {cpu:F3} {wallSeconds:F3} {result.Start} {result.BreathsKept} {result.BreathsTried} {result.LloydIterations}");
            double[] seeded = model.Centroids.ToArray();
            Apply(model, points, 0, Seeding, 0);
            for (int pass = 1; pass <= passes; pass++)
            {
                for (int start = pass == 1 ? Seeding : 0; start < count; start += Batch)
                {
                    Apply(model, points, start, Math.Min(Batch, count - start), 0);
                }

                line.Append(CultureInfo.InvariantCulture, $" {pass} {Objective(model, points):G7}");
            }

            if (fullLloyd > 0)
            {
                Reference.LloydResult full = Reference.BatchKMeans.Lloyd(points, seeded, k, fullLloyd);
                line.Append(CultureInfo.InvariantCulture, $" full {full.Iterations} {full.Objective[^1] / count:G7}");
            }

            Console.WriteLine(line.ToString());
        }
    }

    /// <summary>
    /// The seeding's cost (<c>repair seeding-cost DATA d k [--seeds N]</c>): ClusterModel.Seed on the first
    /// 8,192 rows on one thread, thread CPU time, one start without breaths and the chosen seeding (default
    /// the model's) in alternating order, seeds 1 … N; the median and the least of each, and their ratio.
    /// </summary>
    private static void SeedingCost(string path, int d, int k, int seeds)
    {
        float[] points = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path.Length > 0 ? path : throw new ArgumentException("No data file.")).AsSpan(0, Seeding * d * sizeof(float))).ToArray();
        ModelSettings chosen = Settings(k, d, 0, repair: true);
        ModelSettings single = chosen with { SeedingStarts = 1, SeedingBreaths = 0 };
        var cpu = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        for (int seed = 1; seed <= seeds; seed++)
        {
            foreach (bool breathing in seed % 2 == 0 ? new[] { true, false } : new[] { false, true })
            {
                var model = new ClusterModel((breathing ? chosen : single) with { Seed = (ulong)seed });
                long before = CpuNanoseconds();
                model.Seed(points);
                cpu[breathing].Add((CpuNanoseconds() - before) / 1e6);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# d = {d}, k = {k}, {Seeding} rows of {path}; chosen: starts {chosen.SeedingStarts}, breaths {chosen.SeedingBreaths}, depth {chosen.BreathingDepth}, refine {chosen.RefineIterations}, candidates {chosen.SeedingCandidates}; thread CPU ms over {seeds} seeds"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT one-start median {Median(cpu[false]):F1} least {cpu[false].Min():F1} chosen median {Median(cpu[true]):F1} least {cpu[true].Min():F1} ratio-of-medians {Median(cpu[true]) / Median(cpu[false]):F2}"));
    }

    /// <summary>
    /// The model step's parts in thread CPU time (the machine is shared: time spent preempted does not
    /// count), over <c>--passes</c> passes of the blobs file in arrival order: the E-step (statistics) and
    /// the M-step with the reseed and the repair, the repair off and on in turn, one model each seeded
    /// alike; per batch of 1,024, the median and the best of the rounds.
    /// </summary>
    private static void Cost(string path, int rounds, int passes)
    {
        const int D = 16, K = 64;
        float[] points = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();
        int count = points.Length / D;
        var estep = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        var mstep = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        long batches = 0;
        for (int round = 0; round < rounds; round++)
        {
            foreach (bool repair in round % 2 == 0 ? new[] { false, true } : new[] { true, false })
            {
                var model = new ClusterModel(Settings(K, D, 1, repair));
                model.Seed(points.AsSpan(0, Seeding * D));
                var statistics = new ClusterStatistics(K, D);
                long e = 0, m = 0;
                batches = 0;
                for (int pass = 0; pass < passes; pass++)
                {
                    for (int start = 0; start < count; start += Batch)
                    {
                        ReadOnlySpan<float> batch = points.AsSpan(start * D, Math.Min(Batch, count - start) * D);
                        long t0 = CpuNanoseconds();
                        statistics.Clear();
                        HardEStep.Accumulate(model.Current, batch, statistics);
                        long t1 = CpuNanoseconds();
                        model.Apply(statistics, 1, batch);
                        long t2 = CpuNanoseconds();
                        e += t1 - t0;
                        m += t2 - t1;
                        batches++;
                    }
                }

                estep[repair].Add(e / 1000.0 / batches);
                mstep[repair].Add(m / 1000.0 / batches);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {rounds} rounds of {batches} batches of {Batch} (d = {D}, k = {K}), thread CPU µs per batch, median (best)"));
        foreach (bool repair in new[] { false, true })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT repair {(repair ? "on" : "off")} e-step {Median(estep[repair]):F2} ({estep[repair].Min():F2}) m-step+repair {Median(mstep[repair]):F2} ({mstep[repair].Min():F2}) whole {Median(estep[repair]) + Median(mstep[repair]):F2}"));
        }

        double added = Median(mstep[true]) - Median(mstep[false]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT repair adds {added:F2} µs per batch, {100 * added / (Median(estep[false]) + Median(mstep[false])):F1} % of the model step off"));
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static long CpuNanoseconds()
    {
        NativeMethods.ClockGetTime(NativeMethods.ClockThreadCpuTime, out NativeMethods.TimeSpec time);
        return (time.Seconds * 1_000_000_000) + time.Nanoseconds;
    }

    private static void Drift(int seeds)
    {
        const int D = 4, K = 4, HalfLife = 20_000, Before = 200_000, After = 200_000;
        Console.WriteLine("RESULT seed repair own-centroid(points) own(half-lives) within-1(points) within-1(half-lives) moves final-worst-distance");
        for (int seed = 1; seed <= seeds; seed++)
        {
            foreach (bool repair in new[] { false, true })
            {
                var random = new ModelRandom((ulong)(1000 + seed));
                var centres = new double[5 * D];
                for (int j = 0; j < 4 * D; j++)
                {
                    centres[j] = random.NextDouble() * 20;
                }

                // The newborn: 30 from mode 0 in a random direction.
                double norm = 0;
                var direction = new double[D];
                for (int j = 0; j < D; j++)
                {
                    direction[j] = random.NextGaussian();
                    norm += direction[j] * direction[j];
                }

                for (int j = 0; j < D; j++)
                {
                    centres[(4 * D) + j] = centres[j] + (30 * direction[j] / Math.Sqrt(norm));
                }

                var model = new ClusterModel(Settings(K, D, (ulong)seed, repair));
                var batch = new float[Batch * D];
                long sinceBirth = -1;
                long found = -1;
                long close = -1;
                int moves = 0;
                bool seeded = false;
                var buffer = new float[Seeding * D];
                for (long t = 0; t < Before + After; t += Batch)
                {
                    bool after = t >= Before;
                    float[] target = !seeded ? buffer : batch;
                    int n = !seeded ? Seeding : Batch;
                    for (int i = 0; i < n; i++)
                    {
                        int mode = random.NextInt32(4);
                        if (after && mode == 3)
                        {
                            mode = 4;
                        }

                        for (int j = 0; j < D; j++)
                        {
                            target[(i * D) + j] = (float)(centres[(mode * D) + j] + random.NextGaussian());
                        }
                    }

                    if (!seeded)
                    {
                        model.Seed(buffer);
                        seeded = true;
                        t += Seeding - Batch;
                    }

                    if (Environment.GetEnvironmentVariable("TRACE_DRIFT") == seed.ToString(CultureInfo.InvariantCulture) && repair && after)
                    {
                        var statistics = new ClusterStatistics(K, D);
                        HardEStep.Accumulate(model.Current, target.AsSpan(0, n * D), statistics);
                        ModelUpdate update = model.Apply(statistics, Math.Pow(0.5, (double)n / HalfLife), target.AsSpan(0, n * D));
                        moves += update.Events.Count(e => e.Kind is ClusterEventKind.SplitOff or ClusterEventKind.Reseeded);
                        ArrivingGroupState? g = model.ToState().RepairGroup;
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"STEP {t - Before} counts {string.Join(',', statistics.Counts.ToArray())} weights {string.Join(',', model.Weights.ToArray().Select(w => w.ToString("F0", CultureInfo.InvariantCulture)))} group {g?.Slot} gain {g?.Gain:G4} least {model.ToState().RepairLeastUtility:G4} {string.Join(" | ", update.Events.Select(e => e.Reason))}"));
                    }
                    else
                    {
                        moves += Apply(model, target, n, Math.Pow(0.5, (double)n / HalfLife));
                    }

                    if (after)
                    {
                        sinceBirth += n;
                        if (found < 0 && HasOwnCentroid(model, centres, D, within: double.PositiveInfinity))
                        {
                            found = sinceBirth;
                        }

                        if (close < 0 && HasOwnCentroid(model, centres, D, within: 1))
                        {
                            close = sinceBirth;
                        }
                    }
                }

                double worst = 0;
                foreach (int mode in new[] { 0, 1, 2, 4 })
                {
                    worst = Math.Max(worst, NearestCentroid(model, centres.AsSpan(mode * D, D)).Distance);
                }

                string half = found < 0 ? "never" : ((double)found / HalfLife).ToString("F2", CultureInfo.InvariantCulture);
                string closeHalf = close < 0 ? "never" : ((double)close / HalfLife).ToString("F2", CultureInfo.InvariantCulture);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {seed} {(repair ? "on" : "off")} {found} {half} {close} {closeHalf} {moves} {worst:F3}"));
            }
        }
    }

    private static void Long(int count, int seeds, int halfLife)
    {
        const int D = 16, K = 64;
        Console.WriteLine("RESULT seed points id-changes-first-half id-changes-second-half seconds");
        for (int seed = 1; seed <= seeds; seed++)
        {
            var generator = new BlobStream(D, K, side: 30, seed: 1234);
            var model = new ClusterModel(Settings(K, D, (ulong)seed, repair: true));
            var buffer = new float[Seeding * D];
            for (int i = 0; i < Seeding; i++)
            {
                generator.Next(buffer.AsSpan(i * D, D));
            }

            var watch = Stopwatch.StartNew();
            model.Seed(buffer);
            int first = 0, second = 0;
            first += IdChanges(model, buffer, Seeding, halfLife);
            var batch = new float[Batch * D];
            for (long t = Seeding; t < count; t += Batch)
            {
                for (int i = 0; i < Batch; i++)
                {
                    generator.Next(batch.AsSpan(i * D, D));
                }

                int changes = IdChanges(model, batch, Batch, halfLife);
                if (t < count / 2)
                {
                    first += changes;
                }
                else
                {
                    second += changes;
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {seed} {count} {first} {second} {watch.Elapsed.TotalSeconds:F1}"));
        }
    }

    private static int IdChanges(ClusterModel model, float[] batch, int n, int halfLife)
    {
        var statistics = new ClusterStatistics(model.Clusters, model.Dimensions);
        HardEStep.Accumulate(model.Current, batch.AsSpan(0, n * model.Dimensions), statistics);
        ModelUpdate update = model.Apply(statistics, halfLife == 0 ? 1 : Math.Pow(0.5, (double)n / halfLife), batch.AsSpan(0, n * model.Dimensions));
        return update.Events.Count(e => e.Kind != ClusterEventKind.Seeded);
    }

    private static bool HasOwnCentroid(ClusterModel model, double[] centres, int d, double within)
    {
        (int own, double distance) = NearestCentroid(model, centres.AsSpan(4 * d, d));
        return distance < within && new[] { 0, 1, 2 }.All(m => NearestCentroid(model, centres.AsSpan(m * d, d)).Cluster != own);
    }

    private static (int Cluster, double Distance) NearestCentroid(ClusterModel model, ReadOnlySpan<double> x)
    {
        int d = model.Dimensions;
        int best = 0;
        double bestDistance = double.PositiveInfinity;
        for (int c = 0; c < model.Clusters; c++)
        {
            double sum = 0;
            for (int j = 0; j < d; j++)
            {
                double diff = model.Centroids[(c * d) + j] - x[j];
                sum += diff * diff;
            }

            if (sum < bestDistance)
            {
                bestDistance = sum;
                best = c;
            }
        }

        return (best, Math.Sqrt(bestDistance));
    }

    private static (ClusterModel Model, int Moves) Stream(float[] points, int d, int k, ulong seed, bool repair, int halfLife)
    {
        var model = new ClusterModel(Settings(k, d, seed, repair));
        int count = points.Length / d;
        model.Seed(points.AsSpan(0, Seeding * d));
        int moves = Apply(model, points, 0, Seeding, halfLife);
        for (int start = Seeding; start < count; start += Batch)
        {
            moves += Apply(model, points, start, Math.Min(Batch, count - start), halfLife);
        }

        return (model, moves);
    }

    private static int Apply(ClusterModel model, float[] points, int start, int n, int halfLife) =>
        Apply(model, points.AsSpan(start * model.Dimensions, n * model.Dimensions).ToArray(), n, halfLife == 0 ? 1 : Math.Pow(0.5, (double)n / halfLife));

    private static int Apply(ClusterModel model, float[] points, int n, double discount)
    {
        ReadOnlySpan<float> batch = points.AsSpan(0, n * model.Dimensions);
        var statistics = new ClusterStatistics(model.Clusters, model.Dimensions);
        HardEStep.Accumulate(model.Current, batch, statistics);
        ModelUpdate update = model.Apply(statistics, discount, batch);
        return update.Events.Count(e => e.Kind is ClusterEventKind.SplitOff or ClusterEventKind.Reseeded);
    }

    private static double Objective(ClusterModel model, float[] points)
    {
        int n = points.Length / model.Dimensions;
        var labels = new int[n];
        var distances = new float[n];
        HardEStep.Assign(model.Current, points, labels, distances);
        double sum = 0;
        foreach (float e in distances)
        {
            sum += e;
        }

        return sum / n;
    }

    private static float[] RunsOf(float[] points, int[] labels, int d, int k, int run) => RunsOfWithLabels(points, labels, d, k, run).Points;

    private static (float[] Points, int[] Labels) RunsOfWithLabels(float[] points, int[] labels, int d, int k, int run)
    {
        var byBlob = Enumerable.Range(0, k).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < labels.Length; i++)
        {
            byBlob[labels[i]].Add(i);
        }

        var sorted = new float[points.Length];
        var sortedLabels = new int[labels.Length];
        int next = 0;
        var taken = new int[k];
        while (next < labels.Length)
        {
            for (int b = 0; b < k; b++)
            {
                int end = Math.Min(taken[b] + run, byBlob[b].Count);
                for (; taken[b] < end; taken[b]++)
                {
                    sortedLabels[next] = b;
                    points.AsSpan(byBlob[b][taken[b]] * d, d).CopyTo(sorted.AsSpan(next++ * d, d));
                }
            }
        }

        return (sorted, sortedLabels);
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>Points of k Gaussian blobs, centres uniform in a cube, each blob its own spread in [0.5, 2].</summary>
    private sealed class BlobStream
    {
        private readonly ModelRandom _random;
        private readonly double[] _centres;
        private readonly double[] _spreads;
        private readonly int _d;

        public BlobStream(int d, int k, double side, ulong seed)
        {
            _d = d;
            _random = new ModelRandom(seed);
            _centres = new double[k * d];
            _spreads = new double[k];
            for (int i = 0; i < _centres.Length; i++)
            {
                _centres[i] = _random.NextDouble() * side;
            }

            for (int c = 0; c < k; c++)
            {
                _spreads[c] = 0.5 + (1.5 * _random.NextDouble());
            }
        }

        public int Count => _spreads.Length;

        public double Spread(int blob) => _spreads[blob];

        public ReadOnlySpan<double> Centre(int blob) => _centres.AsSpan(blob * _d, _d);

        public int Next(Span<float> point)
        {
            int c = _random.NextInt32(_spreads.Length);
            for (int j = 0; j < _d; j++)
            {
                point[j] = (float)(_centres[(c * _d) + j] + (_spreads[c] * _random.NextGaussian()));
            }

            return c;
        }
    }
}
