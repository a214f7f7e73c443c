using StreamingClusters.Randomness;

namespace StreamingClusters.Seeding;

/// <summary>
/// Greedy k-means++ seeding (Arthur and Vassilvitskii's D² sampling; at each pick several candidates
/// are drawn and the one that lowers the potential most is kept, as scikit-learn does).
/// </summary>
public static class KMeansPlusPlus
{
    /// <summary>Gets the default number of candidates per pick for k clusters: 2 + ⌊ln k⌋.</summary>
    /// <param name="clusters">The number of clusters k.</param>
    /// <returns>The number of candidates.</returns>
    public static int DefaultCandidates(int clusters) => 2 + (int)Math.Log(clusters);

    /// <summary>Picks k seeds among <paramref name="points"/>.</summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="dimensions">The dimension d.</param>
    /// <param name="clusters">The number of seeds k.</param>
    /// <param name="random">The run's random generator.</param>
    /// <param name="candidates">Candidates per pick; 0 for <see cref="DefaultCandidates"/>.</param>
    /// <returns>k × d seed coordinates, row-major, in double precision.</returns>
    /// <exception cref="InsufficientDistinctPointsException">The points hold fewer than k distinct values.</exception>
    public static double[] Seed(ReadOnlySpan<float> points, int dimensions, int clusters, ModelRandom random, int candidates = 0) =>
        Seed(points, dimensions, clusters, random, candidates, parallelism: 1);

    /// <summary>
    /// Picks k seeds among <paramref name="points"/>, weighing each pick's candidates on up to
    /// <paramref name="parallelism"/> threads. The candidates are drawn first, in order, and the best
    /// is the one of least potential, the earliest on a tie: the seeds are the same for any parallelism.
    /// </summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="dimensions">The dimension d.</param>
    /// <param name="clusters">The number of seeds k.</param>
    /// <param name="random">The run's random generator.</param>
    /// <param name="candidates">Candidates per pick; 0 for <see cref="DefaultCandidates"/>.</param>
    /// <param name="parallelism">The most threads to use, from 1.</param>
    /// <returns>k × d seed coordinates, row-major, in double precision.</returns>
    /// <exception cref="InsufficientDistinctPointsException">The points hold fewer than k distinct values.</exception>
    public static double[] Seed(ReadOnlySpan<float> points, int dimensions, int clusters, ModelRandom random, int candidates, int parallelism)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clusters);
        ArgumentOutOfRangeException.ThrowIfNegative(candidates);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parallelism);
        int d = dimensions;
        int n = points.Length / d;
        // Fewer than k points are refused below, when the distinct values run out, so that the
        // exception counts distinct values rather than points.
        if (n == 0)
        {
            throw new InsufficientDistinctPointsException(clusters, 0, 0);
        }

        int tries = candidates == 0 ? DefaultCandidates(clusters) : candidates;
        int workers = Math.Min(parallelism, tries);
        var seeds = new double[clusters * d];
        var columns = SeedDistances.Transpose(points, n, d);
        var closest = new double[n];
        var running = new double[n];
        var drawn = new int[tries];
        // The threads cannot share a span: they read the candidates from a copy.
        float[] pointArray = workers > 1 ? points.ToArray() : [];
        var lanes = new SeedingWorker[workers];
        for (int w = 0; w < workers; w++)
        {
            lanes[w] = new SeedingWorker(n, d);
        }

        int first = random.NextInt32(n);
        Copy(points.Slice(first * d, d), seeds.AsSpan(0, d));
        closest.AsSpan().Fill(double.PositiveInfinity);
        double potential = SeedDistances.Lower(columns, n, d, points.Slice(first * d, d), closest, closest, lanes[0].Target);

        for (int c = 1; c < clusters; c++)
        {
            if (potential <= 0)
            {
                // Every point coincides with a seed already chosen: only c distinct values exist.
                throw new InsufficientDistinctPointsException(clusters, n, c);
            }

            D2Sampler.RunningSums(closest, running);
            for (int t = 0; t < tries; t++)
            {
                drawn[t] = D2Sampler.SampleProportional(closest, running, potential, random);
            }

            // Worker w weighs candidates w, w + workers, …, keeping its best; the best of the bests
            // (least potential, then earliest candidate) is what one thread going in order keeps.
            if (workers == 1)
            {
                lanes[0].Weigh(columns, points, drawn, 0, 1, closest);
            }
            else
            {
                double[] near = closest;
                Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w => lanes[w].Weigh(columns, pointArray, drawn, w, workers, near));
            }

            SeedingWorker winner = lanes[0];
            foreach (SeedingWorker lane in lanes)
            {
                if (lane.BestPotential < winner.BestPotential || (lane.BestPotential == winner.BestPotential && lane.BestTry < winner.BestTry))
                {
                    winner = lane;
                }
            }

            int bestCandidate = drawn[winner.BestTry];
            Copy(points.Slice(bestCandidate * d, d), seeds.AsSpan(c * d, d));
            (closest, winner.Best) = (winner.Best, closest);
            potential = winner.BestPotential;
        }

        return seeds;
    }

    private static void Copy(ReadOnlySpan<float> from, Span<double> to)
    {
        for (int j = 0; j < from.Length; j++)
        {
            to[j] = from[j];
        }
    }
}
