namespace StreamingClusters.Reference;

/// <summary>
/// Reference batch EM for a Gaussian mixture with diagonal covariances and learnt priors, in double
/// precision, written for clarity: the soft E-step (posterior responsibilities by log-sum-exp) and the
/// M-step (responsibility-weighted means, variances and shares). The streaming mixture is tested against it.
/// </summary>
public static class DiagonalGaussianMixtureEM
{
    /// <summary>Computes r[i, c] = p(t_i = c | x_i, θ) and returns Σ_i log p(x_i | θ).</summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="means">k × d means.</param>
    /// <param name="variances">k × d positive variances.</param>
    /// <param name="priors">k priors summing to 1.</param>
    /// <param name="responsibilities">n × k slots; each row sums to 1.</param>
    /// <returns>The log-likelihood of the points.</returns>
    public static double Responsibilities(ReadOnlySpan<float> points, ReadOnlySpan<double> means, ReadOnlySpan<double> variances, ReadOnlySpan<double> priors, Span<double> responsibilities)
    {
        int k = priors.Length;
        int d = means.Length / k;
        int n = points.Length / d;
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            Span<double> row = responsibilities.Slice(i * k, k);
            double max = double.NegativeInfinity;
            for (int c = 0; c < k; c++)
            {
                double log = Math.Log(priors[c]);
                for (int j = 0; j < d; j++)
                {
                    double v = variances[(c * d) + j];
                    double t = points[(i * d) + j] - means[(c * d) + j];
                    log -= 0.5 * (Math.Log(2 * Math.PI * v) + (t * t / v));
                }

                row[c] = log;
                max = Math.Max(max, log);
            }

            double sum = 0;
            for (int c = 0; c < k; c++)
            {
                row[c] = Math.Exp(row[c] - max);
                sum += row[c];
            }

            for (int c = 0; c < k; c++)
            {
                row[c] /= sum;
            }

            total += max + Math.Log(sum);
        }

        return total;
    }

    /// <summary>
    /// The M-step: each component's mean and variances to the responsibility-weighted mean and variances of
    /// the points (at least <paramref name="varianceFloor"/>), its prior to its share of the responsibility.
    /// A component with no responsibility keeps its mean and variances.
    /// </summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="responsibilities">n × k responsibilities.</param>
    /// <param name="means">k × d means, updated in place.</param>
    /// <param name="variances">k × d variances, updated in place.</param>
    /// <param name="priors">k priors, updated in place.</param>
    /// <param name="varianceFloor">The least variance.</param>
    public static void MStep(ReadOnlySpan<float> points, ReadOnlySpan<double> responsibilities, Span<double> means, Span<double> variances, Span<double> priors, double varianceFloor = 0)
    {
        int k = priors.Length;
        int d = means.Length / k;
        int n = points.Length / d;
        for (int c = 0; c < k; c++)
        {
            double mass = 0;
            var sum = new double[d];
            for (int i = 0; i < n; i++)
            {
                double r = responsibilities[(i * k) + c];
                mass += r;
                for (int j = 0; j < d; j++)
                {
                    sum[j] += r * points[(i * d) + j];
                }
            }

            priors[c] = mass / n;
            if (!(mass > 0))
            {
                continue;
            }

            for (int j = 0; j < d; j++)
            {
                double mu = sum[j] / mass;
                double square = 0;
                for (int i = 0; i < n; i++)
                {
                    double t = points[(i * d) + j] - mu;
                    square += responsibilities[(i * k) + c] * t * t;
                }

                means[(c * d) + j] = mu;
                variances[(c * d) + j] = Math.Max(varianceFloor, square / mass);
            }
        }
    }
}
