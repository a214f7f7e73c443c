using System.Numerics.Tensors;
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

    /// <summary>From this dimension on, ‖x‖² is TensorPrimitives.Dot's: for shorter points its call and set-up cost more than the work.</summary>
    internal const int DotDimensions = 64;

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
        Span<float> squaredDistances = default) =>
        Accumulate(model, points, statistics, assignments, squaredDistances, pointsBounded: false);

    /// <summary>
    /// Assigns every point of a block and adds it to <paramref name="statistics"/>, in point order,
    /// as the public overload does, bit for bit.
    /// </summary>
    /// <param name="model">The model version to assign against.</param>
    /// <param name="points">count × d values, row-major.</param>
    /// <param name="statistics">Statistics of the model's shape; the points are added to them.</param>
    /// <param name="assignments">Empty, or count slots that receive each point's cluster.</param>
    /// <param name="squaredDistances">Empty, or count slots that receive each point's squared distance.</param>
    /// <param name="pointsBounded">
    /// Whether every value is already known to be finite and at most
    /// <see cref="NearestCentroidKernel.BoundedMagnitude"/> in magnitude, as the pipeline's ingest check
    /// guarantees: then the nearest-centroid search skips its pass over the points that rules out wild values.
    /// </param>
    internal static void Accumulate(
        CentroidSet model,
        ReadOnlySpan<float> points,
        ClusterStatistics statistics,
        Span<int> assignments,
        Span<float> squaredDistances,
        bool pointsBounded)
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
        Span<long> counts = statistics.Counts;
        Span<double> sums = statistics.Sums;
        Span<double> errors = statistics.SquaredErrors;
        for (int start = 0; start < count; start += Chunk)
        {
            int n = Math.Min(Chunk, count - start);
            ReadOnlySpan<float> block = points.Slice(start * d, n * d);
            AssignCore(model, block, nearest[..n], distances[..n], pointsBounded);

            AddPoints(block, d, nearest[..n], distances[..n], counts, errors, sums);

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
    /// Adds each point to its cluster's statistics, point by point in order: the same sums as
    /// ClusterStatistics.AddPoint, without a call per point. The count's bounds check stands for the
    /// sum's: a row c &lt; k lies within the k × d sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddPoints(ReadOnlySpan<float> block, int d, ReadOnlySpan<int> nearest, ReadOnlySpan<float> distances, Span<long> counts, Span<double> errors, Span<double> sums)
    {
        ref float x = ref MemoryMarshal.GetReference(block);
        ref double sum = ref MemoryMarshal.GetReference(sums);
        if (Vector512.IsHardwareAccelerated && d == Vector512<float>.Count)
        {
            // One vector per point, the common sensor shape: no inner loop at all.
            for (int i = 0; i < nearest.Length; i++)
            {
                int c = nearest[i];
                counts[c]++;
                errors[c] += distances[i];
                ref double s = ref Unsafe.Add(ref sum, c * d);
                var (lower, upper) = Vector512.Widen(Vector512.LoadUnsafe(ref x, (nuint)(i * d)));
                (Vector512.LoadUnsafe(ref s) + lower).StoreUnsafe(ref s);
                (Vector512.LoadUnsafe(ref s, (nuint)Vector512<double>.Count) + upper).StoreUnsafe(ref s, (nuint)Vector512<double>.Count);
            }

            return;
        }

        if (Vector256.IsHardwareAccelerated && d == Vector512<float>.Count)
        {
            // The same on a machine without AVX-512: four vectors of doubles per point.
            const int Half = 8;
            for (int i = 0; i < nearest.Length; i++)
            {
                int c = nearest[i];
                counts[c]++;
                errors[c] += distances[i];
                ref double s = ref Unsafe.Add(ref sum, c * d);
                var (l0, u0) = Vector256.Widen(Vector256.LoadUnsafe(ref x, (nuint)(i * d)));
                var (l1, u1) = Vector256.Widen(Vector256.LoadUnsafe(ref x, (nuint)((i * d) + Half)));
                (Vector256.LoadUnsafe(ref s) + l0).StoreUnsafe(ref s);
                (Vector256.LoadUnsafe(ref s, 4) + u0).StoreUnsafe(ref s, 4);
                (Vector256.LoadUnsafe(ref s, 8) + l1).StoreUnsafe(ref s, 8);
                (Vector256.LoadUnsafe(ref s, 12) + u1).StoreUnsafe(ref s, 12);
            }

            return;
        }

        for (int i = 0; i < nearest.Length; i++)
        {
            int c = nearest[i];
            counts[c]++;
            errors[c] += distances[i];
            ClusterStatistics.AddWidened(ref Unsafe.Add(ref x, i * d), ref Unsafe.Add(ref sum, c * d), d);
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

        AssignCore(model, points, assignments, squaredDistances, pointsBounded: false);
    }

    /// <summary>Gets ‖x‖², deterministically (the same value for the same x on a given machine).</summary>
    /// <param name="x">A point.</param>
    /// <returns>The sum of its squared coordinates in single precision.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float SquaredNorm(ReadOnlySpan<float> x)
    {
        if (x.Length >= DotDimensions)
        {
            return TensorPrimitives.Dot(x, x);
        }

        int j = 0;
        float norm = 0f;
        if (Vector512.IsHardwareAccelerated && x.Length >= Vector512<float>.Count)
        {
            ref float start = ref MemoryMarshal.GetReference(x);
            var sum = Vector512<float>.Zero;
            for (; j + Vector512<float>.Count <= x.Length; j += Vector512<float>.Count)
            {
                var v = Vector512.LoadUnsafe(ref start, (nuint)j);
                sum = Vector512.FusedMultiplyAdd(v, v, sum);
            }

            norm = Vector512.Sum(sum);
        }
        else if (Vector256.IsHardwareAccelerated && x.Length >= Vector512<float>.Count)
        {
            // The Vector512 path's sixteen lanes as two halves: the same bits on a machine without AVX-512.
            ref float start = ref MemoryMarshal.GetReference(x);
            var lower = Vector256<float>.Zero;
            var upper = Vector256<float>.Zero;
            for (; j + Vector512<float>.Count <= x.Length; j += Vector512<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref start, (nuint)j);
                var w = Vector256.LoadUnsafe(ref start, (nuint)(j + Vector256<float>.Count));
                lower = Vector256.FusedMultiplyAdd(v, v, lower);
                upper = Vector256.FusedMultiplyAdd(w, w, upper);
            }

            norm = SumOfHalves(lower, upper);
        }

        for (; j < x.Length; j++)
        {
            norm = MathF.FusedMultiplyAdd(x[j], x[j], norm);
        }

        return norm;
    }

    /// <summary>
    /// Gets what Vector512.Sum gives for the vector whose halves are <paramref name="lower"/> and
    /// <paramref name="upper"/>: each half summed as Vector256.Sum does (pairs within each 128-bit quarter,
    /// then the two quarters), then the halves added, which is Vector512.Sum's order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float SumOfHalves(Vector256<float> lower, Vector256<float> upper) =>
        Vector256.Sum(lower) + Vector256.Sum(upper);

    private static void AssignCore(CentroidSet model, ReadOnlySpan<float> points, Span<int> assignments, Span<float> squaredDistances, bool pointsBounded)
    {
        int d = model.Dimensions;
        int count = points.Length / d;
        Span<float> norms = stackalloc float[Chunk];
        for (int start = 0; start < count; start += Chunk)
        {
            int n = Math.Min(Chunk, count - start);
            ReadOnlySpan<float> block = points.Slice(start * d, n * d);
            Span<float> distances = squaredDistances.Slice(start, n);
            Span<int> nearest = assignments.Slice(start, n);
            if (pointsBounded)
            {
                NearestCentroidKernel.FindNearestBounded(model, block, nearest, distances);
            }
            else
            {
                // The norms first: they tell the kernel which points are tame, and the pass leaves the
                // block in cache for it.
                SquaredSums16.SquaredNorms(block, d, norms[..n]);
                NearestCentroidKernel.FindNearest(model, block, nearest, distances, norms[..n]);
            }

            // The kernel's score ‖μ‖² − 2x·μ only ranks the centroids. Adding ‖x‖² back to it cancels
            // catastrophically when the points sit far from the origin (at 1000 ± 1 the result has no
            // correct digit), so the winner's distance is computed from the difference: d flops more.
            SquaredSums16.SquaredDifferences(block, d, model.Centroids, nearest, distances);
        }
    }

    /// <summary>Returns ‖x − μ‖² in single precision, summed in a fixed order.</summary>
    /// <param name="x">A point.</param>
    /// <param name="mu">A centroid of the same dimension.</param>
    /// <returns>The squared distance.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float SquaredDifference(ReadOnlySpan<float> x, ReadOnlySpan<float> mu)
    {
        int j = 0;
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && x.Length >= Vector512<float>.Count)
        {
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float mr = ref MemoryMarshal.GetReference(mu);
            Vector512<float> acc = Vector512<float>.Zero;
            for (; j <= x.Length - Vector512<float>.Count; j += Vector512<float>.Count)
            {
                Vector512<float> diff = Vector512.LoadUnsafe(ref xr, (nuint)j) - Vector512.LoadUnsafe(ref mr, (nuint)j);
                acc = Vector512.FusedMultiplyAdd(diff, diff, acc);
            }

            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && x.Length >= Vector512<float>.Count)
        {
            // As SquaredNorm: the Vector512 path's lanes as two halves, the same bits.
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float mr = ref MemoryMarshal.GetReference(mu);
            var lower = Vector256<float>.Zero;
            var upper = Vector256<float>.Zero;
            for (; j <= x.Length - Vector512<float>.Count; j += Vector512<float>.Count)
            {
                Vector256<float> low = Vector256.LoadUnsafe(ref xr, (nuint)j) - Vector256.LoadUnsafe(ref mr, (nuint)j);
                Vector256<float> high = Vector256.LoadUnsafe(ref xr, (nuint)(j + Vector256<float>.Count)) - Vector256.LoadUnsafe(ref mr, (nuint)(j + Vector256<float>.Count));
                lower = Vector256.FusedMultiplyAdd(low, low, lower);
                upper = Vector256.FusedMultiplyAdd(high, high, upper);
            }

            sum = SumOfHalves(lower, upper);
        }

        for (; j < x.Length; j++)
        {
            float diff = x[j] - mu[j];
            sum = MathF.FusedMultiplyAdd(diff, diff, sum);
        }

        return sum;
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
