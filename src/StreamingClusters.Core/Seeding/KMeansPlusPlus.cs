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
    public static double[] Seed(ReadOnlySpan<float> points, int dimensions, int clusters, ModelRandom random, int candidates = 0)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clusters);
        ArgumentOutOfRangeException.ThrowIfNegative(candidates);
        int d = dimensions;
        int n = points.Length / d;
        // Fewer than k points are refused below, when the distinct values run out, so that the
        // exception counts distinct values rather than points.
        if (n == 0)
        {
            throw new InsufficientDistinctPointsException(clusters, 0, 0);
        }

        int tries = candidates == 0 ? DefaultCandidates(clusters) : candidates;
        var seeds = new double[clusters * d];
        var closest = new double[n];
        var trial = new double[n];
        var best = new double[n];

        int first = random.NextInt32(n);
        Copy(points.Slice(first * d, d), seeds.AsSpan(0, d));
        double potential = 0;
        for (int i = 0; i < n; i++)
        {
            closest[i] = SquaredDistance(points.Slice(i * d, d), points.Slice(first * d, d));
            potential += closest[i];
        }

        for (int c = 1; c < clusters; c++)
        {
            if (potential <= 0)
            {
                // Every point coincides with a seed already chosen: only c distinct values exist.
                throw new InsufficientDistinctPointsException(clusters, n, c);
            }

            int bestCandidate = -1;
            double bestPotential = double.PositiveInfinity;
            for (int t = 0; t < tries; t++)
            {
                int candidate = SampleProportional(closest, potential, random);
                ReadOnlySpan<float> y = points.Slice(candidate * d, d);
                double trialPotential = 0;
                for (int i = 0; i < n; i++)
                {
                    trial[i] = Math.Min(closest[i], SquaredDistance(points.Slice(i * d, d), y));
                    trialPotential += trial[i];
                }

                if (trialPotential < bestPotential)
                {
                    bestPotential = trialPotential;
                    bestCandidate = candidate;
                    (best, trial) = (trial, best);
                }
            }

            Copy(points.Slice(bestCandidate * d, d), seeds.AsSpan(c * d, d));
            (closest, best) = (best, closest);
            potential = bestPotential;
        }

        return seeds;
    }

    /// <summary>Draws an index with probability proportional to its weight.</summary>
    /// <param name="weights">Non-negative weights.</param>
    /// <param name="total">Their sum, positive.</param>
    /// <param name="random">The generator.</param>
    /// <returns>An index whose weight is positive.</returns>
    internal static int SampleProportional(ReadOnlySpan<double> weights, double total, ModelRandom random)
    {
        double target = random.NextDouble() * total;
        double running = 0;
        int last = -1;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0)
            {
                continue;
            }

            last = i;
            running += weights[i];
            if (running > target)
            {
                return i;
            }
        }

        // Rounding left the target just past the running sum: the last positive weight takes it.
        Debug.Assert(last >= 0);
        return last;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double SquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        Debug.Assert(x.Length == y.Length);
        y = y[..x.Length];

        // Four running sums (coordinates j mod 4) so that the additions overlap instead of each
        // waiting for the last; the order is fixed, so every machine gets the same bits.
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j <= x.Length - 4; j += 4)
        {
            double d0 = (double)x[j] - y[j];
            double d1 = (double)x[j + 1] - y[j + 1];
            double d2 = (double)x[j + 2] - y[j + 2];
            double d3 = (double)x[j + 3] - y[j + 3];
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }

        for (; j < x.Length; j++)
        {
            double diff = (double)x[j] - y[j];
            s0 += diff * diff;
        }

        return (s0 + s1) + (s2 + s3);
    }

    private static void Copy(ReadOnlySpan<float> from, Span<double> to)
    {
        for (int j = 0; j < from.Length; j++)
        {
            to[j] = from[j];
        }
    }
}
