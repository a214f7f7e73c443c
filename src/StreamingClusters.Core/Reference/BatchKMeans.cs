using StreamingClusters.EStep;
using StreamingClusters.Statistics;

namespace StreamingClusters.Reference;

/// <summary>The outcome of <see cref="BatchKMeans.Lloyd(ReadOnlySpan{float}, ReadOnlySpan{double}, int, int)"/>.</summary>
/// <param name="Centroids">k × d centroids, row-major.</param>
/// <param name="Objective">The objective Σ‖x − μ_c(x)‖² after each iteration's E-step, first to last.</param>
/// <param name="Iterations">The number of M-steps taken.</param>
/// <param name="Converged">Whether the assignments stopped changing.</param>
public sealed record LloydResult(double[] Centroids, IReadOnlyList<double> Objective, int Iterations, bool Converged);

/// <summary>
/// Batch k-means (Lloyd): hard EM on the restricted mixture, iterated on a fixed data set. Used to
/// refine seeds on the start-up buffer and as the reference the streaming model is measured against.
/// </summary>
public static class BatchKMeans
{
    /// <summary>Runs Lloyd iterations until the assignments stop changing or the limit is reached.</summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="initial">k × d starting centroids.</param>
    /// <param name="clusters">The number of clusters k.</param>
    /// <param name="maxIterations">The most M-steps to take.</param>
    /// <returns>The centroids, the objective after each E-step, and whether it converged.</returns>
    public static LloydResult Lloyd(ReadOnlySpan<float> points, ReadOnlySpan<double> initial, int clusters, int maxIterations) =>
        Lloyd(points, initial, clusters, maxIterations, new ClusterStatistics(clusters, initial.Length / clusters));

    /// <summary>
    /// As the public overload, leaving in <paramref name="statistics"/> those of the last E-step (against the
    /// returned centroids) and, if given, each point's cluster in that E-step in <paramref name="labels"/>.
    /// </summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="initial">k × d starting centroids.</param>
    /// <param name="clusters">The number of clusters k.</param>
    /// <param name="maxIterations">The most M-steps to take.</param>
    /// <param name="statistics">Statistics of shape (k, d), overwritten.</param>
    /// <param name="labels">Null, or n slots for each point's cluster.</param>
    /// <returns>The centroids, the objective after each E-step, and whether it converged.</returns>
    internal static LloydResult Lloyd(ReadOnlySpan<float> points, ReadOnlySpan<double> initial, int clusters, int maxIterations, ClusterStatistics statistics, int[]? labels = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxIterations);
        int d = initial.Length / clusters;
        int n = points.Length / d;
        double[] centroids = initial.ToArray();
        var assignments = new int[n];
        var previous = new int[n];
        var objective = new List<double>();
        bool converged = false;
        int iteration = 0;
        while (true)
        {
            statistics.Clear();
            HardEStep.Accumulate(new CentroidSet(centroids, clusters), points, statistics, assignments);
            objective.Add(statistics.TotalSquaredError);
            if (iteration > 0 && assignments.AsSpan().SequenceEqual(previous))
            {
                converged = true;
                break;
            }

            if (iteration == maxIterations)
            {
                break;
            }

            MeanStep(statistics, centroids);
            (assignments, previous) = (previous, assignments);
            iteration++;
        }

        if (labels is not null)
        {
            assignments.CopyTo(labels, 0);
        }

        return new LloydResult(centroids, objective, iteration, converged);
    }

    /// <summary>Moves each centroid with points to their mean (the M-step under delta q); an empty cluster keeps its centroid.</summary>
    /// <param name="statistics">The statistics of one E-step.</param>
    /// <param name="centroids">k × d centroids, updated in place.</param>
    public static void MeanStep(ClusterStatistics statistics, Span<double> centroids)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        int d = statistics.Dimensions;
        for (int c = 0; c < statistics.Clusters; c++)
        {
            long count = statistics.Counts[c];
            if (count == 0)
            {
                continue;
            }

            Span<double> mu = centroids.Slice(c * d, d);
            ReadOnlySpan<double> sum = statistics.SumOf(c);
            for (int j = 0; j < d; j++)
            {
                mu[j] = sum[j] / count;
            }
        }
    }

    /// <summary>Computes the k-means objective Σ_i min_c ‖x_i − μ_c‖² in double precision.</summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="centroids">k × d centroids.</param>
    /// <param name="clusters">The number of clusters k.</param>
    /// <returns>The objective.</returns>
    public static double Objective(ReadOnlySpan<float> points, ReadOnlySpan<double> centroids, int clusters)
    {
        int d = centroids.Length / clusters;
        int n = points.Length / d;
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> x = points.Slice(i * d, d);
            double best = double.PositiveInfinity;
            for (int c = 0; c < clusters; c++)
            {
                ReadOnlySpan<double> mu = centroids.Slice(c * d, d);
                double sum = 0;
                for (int j = 0; j < d; j++)
                {
                    double diff = x[j] - mu[j];
                    sum += diff * diff;
                }

                best = Math.Min(best, sum);
            }

            total += best;
        }

        return total;
    }
}
