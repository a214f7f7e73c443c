namespace StreamingClusters.EStep;

/// <summary>
/// Finds each point's nearest centroid by minimising the score ‖μ_c‖² − 2 x·μ_c (the squared distance
/// less ‖x‖², which does not depend on c). Ties go to the lowest index. Every path computes the dot
/// product in the same order, one fused multiply-add per coordinate from j = 0 up, and the score as
/// fma(−2, dot, ‖μ_c‖²), so the vectorised paths and <see cref="NearestCentroidScalar"/> agree bit for bit.
/// </summary>
/// <remarks>
/// The vector paths take minima with the processor's own min instruction, which is exact only while
/// no score is NaN. Scores of tame points against a tame model (every coordinate at most
/// <see cref="TameMagnitude"/> in magnitude, d at most <see cref="MaxTameDimensions"/>) stay below
/// 2^102 and so are finite; any other point (NaN, ±∞ or merely huge) goes through the scalar twin.
/// </remarks>
internal static class NearestCentroidKernel
{
    /// <summary>The largest coordinate magnitude, 2^40, for which the vector paths are used.</summary>
    public const float TameMagnitude = 1099511627776f;

    /// <summary>The largest dimension, 2^20, for which the vector paths are used.</summary>
    public const int MaxTameDimensions = 1 << 20;

    /// <summary>
    /// The largest coordinate magnitude, 2^60, of points that need no check of their own against a tame
    /// model. With |x_j| ≤ 2^60, |μ_j| ≤ 2^40 and d ≤ 2^20, each product is at most 2^100 (finite, so no
    /// two infinities of opposite sign can meet), a dot product at most 1.07 · 2^120 &lt; 2^121 even with every
    /// rounding upward ((1 + 2^−24)^(2^20) &lt; 1.07), ‖μ‖² at most 2^101, and a score below 2^122 + 2^101:
    /// finite, so the vector paths' minima are exact. Points the pipeline takes in have passed its ingest
    /// check (finite, at most MaxAbsoluteValue ≤ 1e18 &lt; 2^60).
    /// </summary>
    public const float BoundedMagnitude = 1152921504606846976f;

    /// <summary>Floats per chunk of points checked and then assigned (256 KiB, well inside L2).</summary>
    private const int ChunkFloats = 1 << 16;

    /// <summary>Gets the vector width (floats) the kernel uses for <paramref name="clusters"/> centroids.</summary>
    /// <param name="clusters">The number of clusters k.</param>
    /// <returns>16 with Vector512, 8 with Vector256, otherwise 1 (scalar).</returns>
    public static int LanesFor(int clusters)
    {
        // No assertion on clusters: the public CentroidSet constructor passes its argument here before
        // checking it, and refuses a k ≤ 0 itself.
        if (Vector512.IsHardwareAccelerated)
        {
            return Vector512<float>.Count;
        }

        return Vector256.IsHardwareAccelerated ? Vector256<float>.Count : 1;
    }

    /// <summary>Finds the nearest centroid of each point.</summary>
    /// <param name="set">The model version.</param>
    /// <param name="points">count × d values, row-major.</param>
    /// <param name="nearest">Receives each point's cluster index.</param>
    /// <param name="scores">Receives each point's best score ‖μ_c‖² − 2 x·μ_c.</param>
    /// <param name="squaredNorms">
    /// Empty, or each point's ‖x‖² (in any summation order): then a point whose ‖x‖² is at most
    /// <see cref="TameMagnitude"/>² is known tame (each |x_j| ≤ √‖x‖², and a sum of squares rounds
    /// monotonically), and the kernel skips its own pass over the coordinates.
    /// </param>
    public static void FindNearest(CentroidSet set, ReadOnlySpan<float> points, Span<int> nearest, Span<float> scores, ReadOnlySpan<float> squaredNorms = default)
    {
        int d = set.Dimensions;
        int count = points.Length / d;
        Debug.Assert(points.Length == count * d && nearest.Length >= count && scores.Length >= count);
        Debug.Assert(squaredNorms.IsEmpty || squaredNorms.Length >= count);
        if (!UsesVectors(set))
        {
            NearestCentroidScalar.FindNearest(set, points, nearest, scores);
            return;
        }

        // Given norms that are all tame, the points need no pass of their own: one call over all of them
        // lets the kernel prefetch each block while it scores the one before, across what would otherwise
        // be chunk boundaries (at d = 784 a chunk is two blocks).
        if (!squaredNorms.IsEmpty && AreTameNorms(squaredNorms[..count]))
        {
            FindNearestVector(set, points, nearest, scores);
            return;
        }

        // The tameness check reads the points once more: a chunk at a time, so that the kernel then finds
        // them in L2 instead of memory.
        int chunk = Math.Max(32, (ChunkFloats / d) & ~31);
        for (int start = 0; start < count; start += chunk)
        {
            int n = Math.Min(chunk, count - start);
            ReadOnlySpan<float> norms = squaredNorms.IsEmpty ? default : squaredNorms.Slice(start, n);
            FindNearestChecked(set, points.Slice(start * d, n * d), nearest.Slice(start, n), scores.Slice(start, n), norms);
        }
    }

    /// <summary>
    /// Finds the nearest centroid of points already known to be finite with every coordinate at most
    /// <see cref="BoundedMagnitude"/> in magnitude, without a pass over them to check it: the same
    /// results, bit for bit, as <see cref="FindNearest"/>.
    /// </summary>
    /// <param name="set">The model version.</param>
    /// <param name="points">count × d values, row-major, each finite and at most <see cref="BoundedMagnitude"/> in magnitude.</param>
    /// <param name="nearest">Receives each point's cluster index.</param>
    /// <param name="scores">Receives each point's best score ‖μ_c‖² − 2 x·μ_c.</param>
    public static void FindNearestBounded(CentroidSet set, ReadOnlySpan<float> points, Span<int> nearest, Span<float> scores)
    {
        int d = set.Dimensions;
        int count = points.Length / d;
        Debug.Assert(points.Length == count * d && nearest.Length >= count && scores.Length >= count);
        Debug.Assert(IsBounded(points), "A point given as bounded is not finite or exceeds the bound.");
        if (UsesVectors(set))
        {
            FindNearestVector(set, points, nearest, scores);
        }
        else
        {
            NearestCentroidScalar.FindNearest(set, points, nearest, scores);
        }
    }

    /// <summary>Tells whether the vector paths serve <paramref name="set"/>: a tame model and the vector width its layout was made for.</summary>
    private static bool UsesVectors(CentroidSet set) =>
        set.IsTame && ((set.Lanes == 16 && Vector512.IsHardwareAccelerated) || (set.Lanes == 8 && Vector256.IsHardwareAccelerated));

    /// <summary>Tells whether every value is finite and at most <see cref="BoundedMagnitude"/> in magnitude (for debug checks).</summary>
    private static bool IsBounded(ReadOnlySpan<float> values)
    {
        foreach (float value in values)
        {
            if (!(MathF.Abs(value) <= BoundedMagnitude))
            {
                return false;
            }
        }

        return true;
    }

    private static void FindNearestChecked(CentroidSet set, ReadOnlySpan<float> points, Span<int> nearest, Span<float> scores, ReadOnlySpan<float> norms)
    {
        if (norms.IsEmpty ? IsTame(points) : AreTameNorms(norms))
        {
            FindNearestVector(set, points, nearest, scores);
            return;
        }

        // Rare: run the tame stretches through the vector path and each wild point through the scalar twin.
        int d = set.Dimensions;
        int count = points.Length / d;
        int start = 0;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> x = points.Slice(i * d, d);
            if (!IsTame(x))
            {
                FindNearestVector(set, points[(start * d)..(i * d)], nearest[start..i], scores[start..i]);
                NearestCentroidScalar.FindNearest(set, x, nearest.Slice(i, 1), scores.Slice(i, 1));
                start = i + 1;
            }
        }

        FindNearestVector(set, points[(start * d)..(count * d)], nearest[start..count], scores[start..count]);
    }

    private static void FindNearestVector(CentroidSet set, ReadOnlySpan<float> points, Span<int> nearest, Span<float> scores)
    {
        if (points.IsEmpty)
        {
            return;
        }

        if (set.Lanes == 16)
        {
            if (set.PairsPoints)
            {
                NearestCentroidVector512Pairs.FindNearest(set, points, nearest, scores);
            }
            else
            {
                NearestCentroidVector512.FindNearest(set, points, nearest, scores);
            }
        }
        else
        {
            NearestCentroidVector256.FindNearest(set, points, nearest, scores);
        }
    }

    /// <summary>Tells whether every squared norm is at most <see cref="TameMagnitude"/>² (NaN is not).</summary>
    private static bool AreTameNorms(ReadOnlySpan<float> norms)
    {
        const float Limit = TameMagnitude * TameMagnitude;
        foreach (float norm in norms)
        {
            if (!(norm <= Limit))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Tells whether every value is at most <see cref="TameMagnitude"/> in magnitude (NaN is not).</summary>
    /// <remarks>
    /// Compares bit patterns: with the sign cleared, a float's bits as an integer order like its
    /// magnitude, and ±∞ and NaN lie above every finite value. Two operations per vector.
    /// </remarks>
    private static bool IsTame(ReadOnlySpan<float> values)
    {
        const int Limit = 0x53800000; // the bits of 2^40
        ReadOnlySpan<int> bits = MemoryMarshal.Cast<float, int>(values);
        int i = 0;
        int largest = 0;
        if (Vector512.IsHardwareAccelerated && bits.Length >= Vector512<int>.Count)
        {
            var mask = Vector512.Create(int.MaxValue);
            Vector512<int> a = default, b = default;
            ref int start = ref MemoryMarshal.GetReference(bits);
            for (; i + (2 * Vector512<int>.Count) <= bits.Length; i += 2 * Vector512<int>.Count)
            {
                a = Vector512.Max(a, Vector512.LoadUnsafe(ref start, (nuint)i) & mask);
                b = Vector512.Max(b, Vector512.LoadUnsafe(ref start, (nuint)(i + Vector512<int>.Count)) & mask);
            }

            for (; i + Vector512<int>.Count <= bits.Length; i += Vector512<int>.Count)
            {
                a = Vector512.Max(a, Vector512.LoadUnsafe(ref start, (nuint)i) & mask);
            }

            // A last vector, overlapping the one before, covers the tail.
            a = Vector512.Max(a, Vector512.LoadUnsafe(ref start, (nuint)(bits.Length - Vector512<int>.Count)) & mask);
            largest = Vector512.GreaterThan(Vector512.Max(a, b), Vector512.Create(Limit)) == Vector512<int>.Zero ? 0 : int.MaxValue;
            i = bits.Length;
        }

        for (; i < bits.Length; i++)
        {
            largest = Math.Max(largest, bits[i] & int.MaxValue);
        }

        return largest <= Limit;
    }
}
