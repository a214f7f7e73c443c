namespace StreamingClusters.Reference;

/// <summary>
/// Reference batch EM for a Gaussian mixture with isotropic covariance σ²I and priors π, in double
/// precision. The soft E-step computes the posterior p(t = c | x); the delta E-step restricts q to a
/// point mass on its most probable cluster. With σ² = 1 and uniform π the delta E-step is the hard
/// E-step of k-means, and <see cref="MStep"/> with delta responsibilities is Lloyd's step: the tests
/// state that theory in code. This class favours clarity over speed.
/// </summary>
public static class GaussianMixtureEM
{
    /// <summary>Computes the posterior responsibilities r[i, c] = p(t_i = c | x_i, θ).</summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="means">k × d component means.</param>
    /// <param name="variance">σ², the variance of every coordinate of every component.</param>
    /// <param name="priors">π, k positive weights summing to 1.</param>
    /// <param name="responsibilities">n × k slots for the posterior; each row sums to 1.</param>
    public static void Responsibilities(
        ReadOnlySpan<float> points,
        ReadOnlySpan<double> means,
        double variance,
        ReadOnlySpan<double> priors,
        Span<double> responsibilities)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(variance);
        int k = priors.Length;
        int d = means.Length / k;
        int n = points.Length / d;
        for (int i = 0; i < n; i++)
        {
            Span<double> row = responsibilities.Slice(i * k, k);
            double max = double.NegativeInfinity;
            for (int c = 0; c < k; c++)
            {
                // log π_c − ‖x − μ_c‖² / (2σ²); the normaliser (2πσ²)^(−d/2) is common to every c.
                row[c] = Math.Log(priors[c]) - (SquaredDistance(points.Slice(i * d, d), means.Slice(c * d, d)) / (2 * variance));
                max = Math.Max(max, row[c]);
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
        }
    }

    /// <summary>
    /// The E-step with q restricted to delta functions: q puts all its mass on the most probable
    /// cluster of the posterior (the delta closest to it in KL divergence), ties to the lowest index.
    /// </summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="means">k × d component means.</param>
    /// <param name="variance">σ².</param>
    /// <param name="priors">π.</param>
    /// <param name="responsibilities">n × k slots; each row receives a one-hot vector.</param>
    /// <param name="assignments">n slots that receive the chosen cluster of each point.</param>
    public static void DeltaResponsibilities(
        ReadOnlySpan<float> points,
        ReadOnlySpan<double> means,
        double variance,
        ReadOnlySpan<double> priors,
        Span<double> responsibilities,
        Span<int> assignments)
    {
        Responsibilities(points, means, variance, priors, responsibilities);
        int k = priors.Length;
        int n = responsibilities.Length / k;
        for (int i = 0; i < n; i++)
        {
            Span<double> row = responsibilities.Slice(i * k, k);
            int best = ClosestDelta(row);
            row.Clear();
            row[best] = 1;
            assignments[i] = best;
        }
    }

    /// <summary>
    /// Among the delta distributions on {1..k}, returns the one closest in KL(q ‖ p) to
    /// <paramref name="posterior"/>. KL(δ_c ‖ p) = −log p_c, so it is the argmax of p, ties to the lowest index.
    /// </summary>
    /// <param name="posterior">A distribution over k clusters.</param>
    /// <returns>The cluster c whose delta minimises the divergence.</returns>
    public static int ClosestDelta(ReadOnlySpan<double> posterior)
    {
        int best = 0;
        for (int c = 1; c < posterior.Length; c++)
        {
            if (posterior[c] > posterior[best])
            {
                best = c;
            }
        }

        return best;
    }

    /// <summary>Computes KL(q ‖ p) = Σ q_c log(q_c / p_c), with 0 log 0 = 0.</summary>
    /// <param name="q">A distribution.</param>
    /// <param name="p">A distribution over the same support.</param>
    /// <returns>The divergence, +∞ where q puts mass where p has none.</returns>
    public static double KullbackLeibler(ReadOnlySpan<double> q, ReadOnlySpan<double> p)
    {
        double sum = 0;
        for (int c = 0; c < q.Length; c++)
        {
            if (q[c] > 0)
            {
                sum += q[c] * Math.Log(q[c] / p[c]);
            }
        }

        return sum;
    }

    /// <summary>
    /// The M-step: each mean moves to the responsibility-weighted mean of the points, and each prior to
    /// its share of the responsibility. A component with no responsibility keeps its mean.
    /// </summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="responsibilities">n × k responsibilities.</param>
    /// <param name="means">k × d means, updated in place.</param>
    /// <param name="priors">k priors, updated in place.</param>
    public static void MStep(ReadOnlySpan<float> points, ReadOnlySpan<double> responsibilities, Span<double> means, Span<double> priors)
    {
        int k = priors.Length;
        int d = means.Length / k;
        int n = points.Length / d;
        for (int c = 0; c < k; c++)
        {
            double mass = 0;
            double[] acc = new double[d];
            for (int i = 0; i < n; i++)
            {
                double r = responsibilities[(i * k) + c];
                mass += r;
                for (int j = 0; j < d; j++)
                {
                    acc[j] += r * points[(i * d) + j];
                }
            }

            priors[c] = mass / n;
            if (mass > 0)
            {
                for (int j = 0; j < d; j++)
                {
                    means[(c * d) + j] = acc[j] / mass;
                }
            }
        }
    }

    private static double SquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<double> mu)
    {
        double sum = 0;
        for (int j = 0; j < x.Length; j++)
        {
            double diff = x[j] - mu[j];
            sum += diff * diff;
        }

        return sum;
    }
}
