using StreamingClusters.EStep;
using StreamingClusters.Randomness;
using StreamingClusters.Reference;
using StreamingClusters.Statistics;

namespace StreamingClusters.Seeding;

/// <summary>How the k-means start is made on the seeding buffer (see <see cref="BufferSeeding"/>).</summary>
public sealed record BufferSeedingPlan
{
    /// <summary>Gets the k-means++ candidates per pick; 0 means 2 + ⌊ln k⌋.</summary>
    public int Candidates { get; init; }

    /// <summary>Gets the most Lloyd iterations after each k-means++ start and after each breath.</summary>
    public int RefineIterations { get; init; } = 20;

    /// <summary>Gets the number of starts (k-means++ then Lloyd); the one of least buffer objective is kept.</summary>
    public int Starts { get; init; } = 1;

    /// <summary>Gets the most breaths (m centroids in, m out, Lloyd after each) tried on the kept start; 0 for none.</summary>
    public int Breaths { get; init; }

    /// <summary>Gets the breathing depth m at the first breath (at most k − 1); it drops by one after each breath that does not pay.</summary>
    public int BreathingDepth { get; init; } = 5;
}

/// <summary>The start <see cref="BufferSeeding.Seed"/> made.</summary>
/// <param name="Centroids">k × d centroids, row-major.</param>
/// <param name="Objective">Their objective on the buffer, Σ min_c ‖x − μ_c‖² (the E-step's single-precision distances summed in double).</param>
/// <param name="Start">The kept start, from 0.</param>
/// <param name="BreathsKept">The breaths that lowered the objective and were kept.</param>
/// <param name="BreathsTried">The breaths tried.</param>
/// <param name="LloydIterations">The Lloyd iterations run in all (the E-steps on the buffer, less one per Lloyd run).</param>
public sealed record BufferSeedingResult(double[] Centroids, double Objective, int Start, int BreathsKept, int BreathsTried, int LloydIterations);

/// <summary>
/// The k-means start on the seeding buffer: greedy k-means++ then Lloyd, the best of several such starts
/// (scikit-learn's <c>n_init</c>), then breathing k-means (Fritzke, arXiv 2006.15666) on the best: m
/// centroids are breathed in beside those of largest error, Lloyd runs, the m of least utility
/// Σ (d₂ − d₁) are breathed out (each one's nearest neighbour held, so that two neighbours do not both
/// go), Lloyd runs again, and the result is kept if it lowers the buffer's objective; m drops by one after
/// a breath that does not pay, and breathing stops at m = 0 or after the plan's most breaths. Everything
/// is seeded from the run's generator, in order; only k-means++ uses threads, and its seeds are the same
/// for any parallelism, so the start is too.
/// </summary>
public static class BufferSeeding
{
    /// <summary>A breath pays when it lowers the buffer's objective by more than this fraction (bkmeans' tolerance).</summary>
    private const double Tolerance = 1e-4;

    /// <summary>A breathed-in centroid's offset from its parent, per coordinate, as a fraction of the buffer's root-mean-square error (uniform in ±half of it).</summary>
    private const double Offset = 0.01;

    /// <summary>One start: greedy k-means++ on the buffer, then Lloyd iterations.</summary>
    /// <param name="buffer">n × d values, row-major.</param>
    /// <param name="dimensions">The dimension d.</param>
    /// <param name="clusters">The number of clusters k.</param>
    /// <param name="random">The run's generator.</param>
    /// <param name="candidates">k-means++ candidates per pick; 0 for 2 + ⌊ln k⌋.</param>
    /// <param name="refineIterations">The most Lloyd iterations.</param>
    /// <param name="parallelism">The most threads k-means++ may use (the same seeds).</param>
    /// <returns>k × d centroids.</returns>
    /// <exception cref="InsufficientDistinctPointsException">The buffer holds fewer than k distinct points.</exception>
    public static double[] Start(ReadOnlySpan<float> buffer, int dimensions, int clusters, ModelRandom random, int candidates, int refineIterations, int parallelism)
    {
        double[] seeds = KMeansPlusPlus.Seed(buffer, dimensions, clusters, random, candidates, parallelism);
        return refineIterations > 0 ? BatchKMeans.Lloyd(buffer, seeds, clusters, refineIterations).Centroids : seeds;
    }

    /// <summary>Makes the start the plan describes (see the class summary).</summary>
    /// <param name="buffer">n × d values, row-major, n ≥ k distinct points.</param>
    /// <param name="dimensions">The dimension d.</param>
    /// <param name="clusters">The number of clusters k.</param>
    /// <param name="random">The run's generator.</param>
    /// <param name="plan">The starts and breaths.</param>
    /// <param name="parallelism">The most threads k-means++ may use (the same start).</param>
    /// <returns>The centroids and how they were found.</returns>
    /// <exception cref="InsufficientDistinctPointsException">The buffer holds fewer than k distinct points.</exception>
    public static BufferSeedingResult Seed(ReadOnlySpan<float> buffer, int dimensions, int clusters, ModelRandom random, BufferSeedingPlan plan, int parallelism)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(plan.Starts);
        ArgumentOutOfRangeException.ThrowIfNegative(plan.Breaths);
        ArgumentOutOfRangeException.ThrowIfNegative(plan.RefineIterations);
        ArgumentOutOfRangeException.ThrowIfNegative(plan.BreathingDepth);
        int k = clusters;
        int d = dimensions;
        var statistics = new ClusterStatistics(k, d);
        double[] best = [];
        double bestObjective = double.PositiveInfinity;
        int bestStart = 0;
        int iterations = 0;
        for (int start = 0; start < plan.Starts; start++)
        {
            double[] seeds = KMeansPlusPlus.Seed(buffer, d, k, random, plan.Candidates, parallelism);
            LloydResult refined = BatchKMeans.Lloyd(buffer, seeds, k, plan.RefineIterations, statistics);
            iterations += refined.Iterations;
            double objective = refined.Objective[^1];

            // The first of least objective: a tie keeps the earlier start.
            if (objective < bestObjective || start == 0)
            {
                best = refined.Centroids;
                bestObjective = objective;
                bestStart = start;
            }
        }

        int depth = Math.Min(plan.BreathingDepth, k - 1);
        if (plan.Breaths == 0 || depth <= 0)
        {
            return new BufferSeedingResult(best, bestObjective, bestStart, 0, 0, iterations);
        }

        // The kept start's per-cluster errors, for the first breath in.
        statistics.Clear();
        HardEStep.Accumulate(new CentroidSet(best, k), buffer, statistics);
        double[] errors = statistics.SquaredErrors.ToArray();
        int kept = 0, tried = 0;
        int n = buffer.Length / d;
        var labels = new int[n];
        for (; tried < plan.Breaths && depth > 0; tried++)
        {
            var widerStatistics = new ClusterStatistics(k + depth, d);
            double[] grown = BreatheIn(best, errors, bestObjective / n, k, d, depth, random);
            LloydResult inhaled = BatchKMeans.Lloyd(buffer, grown, k + depth, plan.RefineIterations, widerStatistics, labels);
            double[] shrunk = BreatheOut(buffer, inhaled.Centroids, k + depth, d, depth, labels, widerStatistics.SquaredErrors);
            LloydResult exhaled = BatchKMeans.Lloyd(buffer, shrunk, k, plan.RefineIterations, statistics);
            iterations += inhaled.Iterations + exhaled.Iterations;
            double objective = exhaled.Objective[^1];
            if (objective < bestObjective * (1 - Tolerance))
            {
                best = exhaled.Centroids;
                bestObjective = objective;
                errors = statistics.SquaredErrors.ToArray();
                kept++;
            }
            else
            {
                depth--;
            }
        }

        return new BufferSeedingResult(best, bestObjective, bestStart, kept, tried, iterations);
    }

    /// <summary>
    /// The k centroids and m more, each beside one of the m of largest error (the earlier on a tie), offset
    /// per coordinate by a uniform draw in ±<see cref="Offset"/>/2 of the root-mean-square error.
    /// </summary>
    private static double[] BreatheIn(double[] centroids, double[] errors, double meanSquaredError, int k, int d, int m, ModelRandom random)
    {
        int[] order = ByDescending(errors);
        var grown = new double[(k + m) * d];
        centroids.CopyTo(grown, 0);
        double scale = Offset * Math.Sqrt(meanSquaredError);
        for (int i = 0; i < m; i++)
        {
            int parent = order[i];
            for (int j = 0; j < d; j++)
            {
                grown[((k + i) * d) + j] = centroids[(parent * d) + j] + (scale * (random.NextDouble() - 0.5));
            }
        }

        return grown;
    }

    /// <summary>
    /// Removes the m centroids of least utility Σ (d₂ − d₁) over their points (the earlier on a tie), each
    /// removal holding the removed centroid's nearest neighbour (while enough others remain to remove).
    /// </summary>
    private static double[] BreatheOut(ReadOnlySpan<float> buffer, double[] centroids, int count, int d, int m, int[] labels, ReadOnlySpan<double> errors)
    {
        double[] utility = Utilities(buffer, centroids, count, d, labels, errors);
        int[] order = ByAscending(utility);
        var removed = new bool[count];
        var frozen = new bool[count];
        int removals = 0, frozenCount = 0;
        foreach (int c in order)
        {
            if (frozen[c])
            {
                continue;
            }

            removed[c] = true;
            removals++;
            int neighbour = NearestNeighbour(centroids, count, d, c);
            if (frozenCount + m < count && !frozen[neighbour])
            {
                frozen[neighbour] = true;
                frozenCount++;
            }

            if (removals == m)
            {
                break;
            }
        }

        var kept = new double[(count - m) * d];
        int next = 0;
        for (int c = 0; c < count; c++)
        {
            if (!removed[c])
            {
                centroids.AsSpan(c * d, d).CopyTo(kept.AsSpan(next++ * d, d));
            }
        }

        return kept;
    }

    /// <summary>
    /// Per centroid, Σ (d₂ − d₁) over the points it is nearest to: what the objective would grow by, the
    /// others fixed, without it. Σ d₁ is the E-step's error of the cluster; Σ d₂ is the E-step's
    /// against the other centroids, over the cluster's points in their order: the same kernels as every
    /// E-step, so the same bits on every vector path (a centroid with no points has no utility).
    /// </summary>
    /// <param name="buffer">The points.</param>
    /// <param name="centroids">count × d centroids.</param>
    /// <param name="count">The number of centroids.</param>
    /// <param name="d">The dimension.</param>
    /// <param name="labels">Each point's nearest centroid.</param>
    /// <param name="errors">Each centroid's Σ d₁ from the same E-step.</param>
    private static double[] Utilities(ReadOnlySpan<float> buffer, double[] centroids, int count, int d, int[] labels, ReadOnlySpan<double> errors)
    {
        int n = labels.Length;

        // The points of each centroid, gathered in their order (a counting sort).
        var first = new int[count + 1];
        foreach (int c in labels)
        {
            first[c + 1]++;
        }

        for (int c = 0; c < count; c++)
        {
            first[c + 1] += first[c];
        }

        var gathered = new float[n * d];
        var next = (int[])first.Clone();
        for (int i = 0; i < n; i++)
        {
            buffer.Slice(i * d, d).CopyTo(gathered.AsSpan(next[labels[i]]++ * d, d));
        }

        var utility = new double[count];
        var others = new double[(count - 1) * d];
        var nearest = new int[n];
        var distances = new float[n];
        for (int c = 0; c < count; c++)
        {
            int members = first[c + 1] - first[c];
            if (members == 0)
            {
                continue;
            }

            centroids.AsSpan(0, c * d).CopyTo(others);
            centroids.AsSpan((c + 1) * d).CopyTo(others.AsSpan(c * d));
            HardEStep.Assign(new CentroidSet(others, count - 1), gathered.AsSpan(first[c] * d, members * d), nearest.AsSpan(0, members), distances.AsSpan(0, members));
            double second = 0;
            for (int i = 0; i < members; i++)
            {
                second += distances[i];
            }

            utility[c] = second - errors[c];
        }

        return utility;
    }

    /// <summary>The centroid nearest to centroid <paramref name="c"/> among the others (the earlier on a tie).</summary>
    private static int NearestNeighbour(double[] centroids, int count, int d, int c)
    {
        int neighbour = -1;
        double least = double.PositiveInfinity;
        ReadOnlySpan<double> mu = centroids.AsSpan(c * d, d);
        for (int o = 0; o < count; o++)
        {
            if (o == c)
            {
                continue;
            }

            double sum = 0;
            ReadOnlySpan<double> other = centroids.AsSpan(o * d, d);
            for (int j = 0; j < d; j++)
            {
                double t = mu[j] - other[j];
                sum += t * t;
            }

            if (neighbour < 0 || sum < least)
            {
                least = sum;
                neighbour = o;
            }
        }

        return neighbour;
    }

    private static int[] ByDescending(double[] values)
    {
        int[] order = [.. Enumerable.Range(0, values.Length)];
        Array.Sort(order, (a, b) => values[a] != values[b] ? values[b].CompareTo(values[a]) : a.CompareTo(b));
        return order;
    }

    private static int[] ByAscending(double[] values)
    {
        int[] order = [.. Enumerable.Range(0, values.Length)];
        Array.Sort(order, (a, b) => values[a] != values[b] ? values[a].CompareTo(values[b]) : a.CompareTo(b));
        return order;
    }
}
