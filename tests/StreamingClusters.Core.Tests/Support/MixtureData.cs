using StreamingClusters.Randomness;

namespace StreamingClusters.Tests.Support;

/// <summary>Points drawn from a diagonal Gaussian mixture, with the component each came from.</summary>
internal static class MixtureData
{
    /// <summary>Draws <paramref name="count"/> points: a component by its prior, then each coordinate N(μ_cj, σ²_cj).</summary>
    public static (float[] Points, int[] Labels) Draw(ModelRandom random, double[] means, double[] variances, double[] priors, int count)
    {
        int k = priors.Length;
        int d = means.Length / k;
        var points = new float[count * d];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            double u = random.NextDouble();
            int c = 0;
            for (double cumulative = priors[0]; c < k - 1 && u >= cumulative; cumulative += priors[++c])
            {
            }

            labels[i] = c;
            for (int j = 0; j < d; j++)
            {
                points[(i * d) + j] = (float)(means[(c * d) + j] + (Math.Sqrt(variances[(c * d) + j]) * random.NextGaussian()));
            }
        }

        return (points, labels);
    }

    /// <summary>An overlapping mixture: means within a few spreads, per-axis spreads differing up to 5×, priors from 0.35 down.</summary>
    public static (double[] Means, double[] Variances, double[] Priors) Overlapping(ModelRandom random, int k, int d)
    {
        var means = new double[k * d];
        var variances = new double[k * d];
        for (int i = 0; i < means.Length; i++)
        {
            means[i] = 3 * random.NextGaussian();
            double spread = 0.4 + (1.6 * random.NextDouble());
            variances[i] = spread * spread;
        }

        double[] priors = [.. Enumerable.Range(0, k).Select(c => 0.35 - (0.30 * c / Math.Max(1, k - 1)))];
        double total = priors.Sum();
        return (means, variances, [.. priors.Select(p => p / total)]);
    }
}
