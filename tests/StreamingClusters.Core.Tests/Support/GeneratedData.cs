using StreamingClusters.Randomness;

namespace StreamingClusters.Tests.Support;

/// <summary>Seeded synthetic data for the tests; everything is a pure function of the generator.</summary>
internal static class GeneratedData
{
    public static float[] Gaussian(ModelRandom random, int count, double scale = 1.0)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextGaussian() * scale);
        }

        return values;
    }

    /// <summary>Float values widened to double, so float and double arithmetic see the same numbers.</summary>
    public static double[] GaussianAsDouble(ModelRandom random, int count, double scale = 1.0) =>
        Array.ConvertAll(Gaussian(random, count, scale), v => (double)v);

    public static float[] Integers(ModelRandom random, int count, int low, int high)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = low + random.NextInt32(high - low + 1);
        }

        return values;
    }

    /// <summary>
    /// n points near the means, each at least a relative <paramref name="minGap"/> closer (in squared
    /// distance) to its nearest mean than to the second nearest, so no rounding can turn the argmin.
    /// </summary>
    public static float[] SeparatedPoints(ModelRandom random, ReadOnlySpan<double> means, int clusters, int count, double spread, double minGap = 1e-3)
    {
        int d = means.Length / clusters;
        var points = new float[count * d];
        var x = new float[d];
        for (int i = 0; i < count;)
        {
            int c = random.NextInt32(clusters);
            for (int j = 0; j < d; j++)
            {
                x[j] = (float)(means[(c * d) + j] + (random.NextGaussian() * spread));
            }

            (double best, double second) = TwoSmallest(x, means, clusters);
            if (second - best > minGap * (1 + best))
            {
                x.CopyTo(points, i * d);
                i++;
            }
        }

        return points;
    }

    /// <summary>The index of the nearest mean in exact (double) arithmetic, ties to the lowest index.</summary>
    public static int Nearest(ReadOnlySpan<float> x, ReadOnlySpan<double> means, int clusters)
    {
        int d = x.Length;
        int best = 0;
        double bestDistance = double.PositiveInfinity;
        for (int c = 0; c < clusters; c++)
        {
            double distance = SquaredDistance(x, means.Slice(c * d, d));
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = c;
            }
        }

        return best;
    }

    public static double SquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<double> mu)
    {
        double sum = 0;
        for (int j = 0; j < x.Length; j++)
        {
            double diff = x[j] - mu[j];
            sum += diff * diff;
        }

        return sum;
    }

    private static (double Best, double Second) TwoSmallest(ReadOnlySpan<float> x, ReadOnlySpan<double> means, int clusters)
    {
        int d = x.Length;
        double best = double.PositiveInfinity;
        double second = double.PositiveInfinity;
        for (int c = 0; c < clusters; c++)
        {
            double distance = SquaredDistance(x, means.Slice(c * d, d));
            if (distance < best)
            {
                second = best;
                best = distance;
            }
            else if (distance < second)
            {
                second = distance;
            }
        }

        return (best, second);
    }
}
