using StreamingClusters.Statistics;

namespace StreamingClusters.EStep;

/// <summary>
/// The hard E-step: q(t_i) restricted to a delta on c_i = argmin_c ‖x_i − μ_c‖² (ties to the lowest
/// index), and the statistics the M-step needs from it. Allocates nothing: scratch space for one
/// chunk of points lives on the stack.
/// </summary>
public static class HardEStep
{
    /// <summary>Points handled per kernel call; sized so the scratch arrays stay on the stack.</summary>
    private const int Chunk = 256;

    /// <summary>
    /// Assigns every point of a block and adds it to <paramref name="statistics"/>, in point order.
    /// </summary>
    /// <param name="model">The model version to assign against.</param>
    /// <param name="points">count × d values, row-major.</param>
    /// <param name="statistics">Statistics of the model's shape; the points are added to them.</param>
    /// <param name="assignments">Empty, or count slots that receive each point's cluster.</param>
    /// <param name="squaredDistances">Empty, or count slots that receive each point's squared distance.</param>
    public static void Accumulate(
        CentroidSet model,
        ReadOnlySpan<float> points,
        ClusterStatistics statistics,
        Span<int> assignments = default,
        Span<float> squaredDistances = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(statistics);
        int d = model.Dimensions;
        if (statistics.Clusters != model.Clusters || statistics.Dimensions != d)
        {
            throw new ArgumentException(
                $"Statistics of shape (k={statistics.Clusters}, d={statistics.Dimensions}) do not match the model (k={model.Clusters}, d={d}).",
                nameof(statistics));
        }

        int count = CheckBlock(model, points, assignments, squaredDistances);
        Span<int> nearest = stackalloc int[Chunk];
        Span<float> distances = stackalloc float[Chunk];
        for (int start = 0; start < count; start += Chunk)
        {
            int n = Math.Min(Chunk, count - start);
            ReadOnlySpan<float> block = points.Slice(start * d, n * d);
            Assign(model, block, nearest[..n], distances[..n]);
            for (int i = 0; i < n; i++)
            {
                statistics.AddPoint(nearest[i], block.Slice(i * d, d), distances[i]);
            }

            if (!assignments.IsEmpty)
            {
                nearest[..n].CopyTo(assignments[start..]);
            }

            if (!squaredDistances.IsEmpty)
            {
                distances[..n].CopyTo(squaredDistances[start..]);
            }
        }
    }

    /// <summary>
    /// Assigns every point of a block to its nearest centroid without accumulating (scoring).
    /// </summary>
    /// <param name="model">The model version to assign against.</param>
    /// <param name="points">count × d values, row-major.</param>
    /// <param name="assignments">count slots that receive each point's cluster.</param>
    /// <param name="squaredDistances">count slots that receive each point's squared distance.</param>
    public static void Assign(CentroidSet model, ReadOnlySpan<float> points, Span<int> assignments, Span<float> squaredDistances)
    {
        ArgumentNullException.ThrowIfNull(model);
        int count = CheckBlock(model, points, assignments, squaredDistances);
        if (assignments.Length < count || squaredDistances.Length < count)
        {
            throw new ArgumentException($"Assignments and distances need room for {count} points.", nameof(assignments));
        }

        NearestCentroidKernel.FindNearest(model, points, assignments, squaredDistances);
        int d = model.Dimensions;
        for (int i = 0; i < count; i++)
        {
            // The kernel's score ‖μ‖² − 2x·μ only ranks the centroids. Adding ‖x‖² back to it cancels
            // catastrophically when the points sit far from the origin (at 1000 ± 1 the result has no
            // correct digit), so the winner's distance is computed from the difference: same cost, d flops.
            float distance = System.Numerics.Tensors.TensorPrimitives.Distance(points.Slice(i * d, d), model.Centroid(assignments[i]));
            squaredDistances[i] = distance * distance;
        }
    }

    private static int CheckBlock(CentroidSet model, ReadOnlySpan<float> points, Span<int> assignments, Span<float> squaredDistances)
    {
        int d = model.Dimensions;
        if (points.Length % d != 0)
        {
            throw new ArgumentException($"A block of d = {d} points must hold a multiple of {d} values, got {points.Length}.", nameof(points));
        }

        int count = points.Length / d;
        if ((!assignments.IsEmpty && assignments.Length < count) || (!squaredDistances.IsEmpty && squaredDistances.Length < count))
        {
            throw new ArgumentException($"Assignments and distances need room for {count} points.", nameof(assignments));
        }

        return count;
    }
}
