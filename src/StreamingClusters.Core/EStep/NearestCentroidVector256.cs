using System.Runtime.Intrinsics.X86;

namespace StreamingClusters.EStep;

/// <summary>
/// The Vector256 path of <see cref="NearestCentroidKernel"/> (machines without AVX-512), register-blocked
/// for the 16 vector registers such a machine has: six points against two centroid vectors (16
/// centroids) per step, 12 accumulators, the two centroid vectors and one broadcast coordinate, so that
/// nothing spills. Each centroid vector is loaded once for six points and each coordinate broadcast once
/// for 16 centroids. For k ≤ 8 (one vector of centroids), twelve points per step. The points are the
/// outer loop: a group's rows stay in L1 while every centroid tile passes, so long points are read from
/// memory once. The argmin is fused in. Per (point, centroid) the arithmetic is that of
/// <see cref="NearestCentroidScalar"/>.
/// </summary>
internal static class NearestCentroidVector256
{
    private const int Lanes = 8;
    private const int TileWidth = 4 * Lanes;
    private const int Group = 6;
    private const int WideGroup = 12;

    /// <summary>
    /// Below this d, for more than 8 centroids, points go in the lanes instead (<see cref="NearestCentroidVector256PointLanes"/>):
    /// with few coordinates per point, the horizontal minimum per point and tile costs as much as the dot products.
    /// </summary>
    internal const int PointLanesDimensions = 64;

    /// <summary>From this d on, and for more than 8 centroids, points go in the lanes (shorter points gain nothing).</summary>
    internal const int MinPointLanesDimensions = 8;

    /// <summary>Finds the nearest centroid of each point.</summary>
    /// <param name="set">The model version, laid out with 8 lanes in tiles.</param>
    /// <param name="points">count × d values, row-major, none of them wild.</param>
    /// <param name="nearest">Receives each point's cluster index.</param>
    /// <param name="scores">Receives each point's best score.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FindNearest(CentroidSet set, ReadOnlySpan<float> points, Span<int> nearest, Span<float> scores)
    {
        Debug.Assert(set.Lanes == Lanes);
        int d = set.Dimensions;
        int count = points.Length / d;
        scores[..count].Fill(float.PositiveInfinity);
        nearest[..count].Clear();
        ref float x = ref MemoryMarshal.GetReference(points);
        ref float best = ref MemoryMarshal.GetReference(scores);
        ref int index = ref MemoryMarshal.GetReference(nearest);
        ref float panels = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(set.Panels), set.PanelOffset);
        ref float norms = ref MemoryMarshal.GetArrayDataReference(set.LaneNorms);
        int padded = set.PaddedClusters;
        int last = count - 1;
        int end = count * d;
        if (d is >= MinPointLanesDimensions and < PointLanesDimensions && padded > Lanes)
        {
            NearestCentroidVector256PointLanes.FindNearest(set, points, nearest, scores);
            return;
        }

        if (padded == Lanes)
        {
            // One vector of centroids: twelve points per step; the last group repeats the final point,
            // which changes nothing.
            for (int i = 0; i < count; i += WideGroup)
            {
                Block12x1(ref x, d, i, last, end, ref panels, ref norms, ref best, ref index);
            }

            return;
        }

        for (int i = 0; i < count; i += Group)
        {
            int i1 = Math.Min(i + 1, last), i2 = Math.Min(i + 2, last), i3 = Math.Min(i + 3, last), i4 = Math.Min(i + 4, last), i5 = Math.Min(i + 5, last);
            for (int tile = 0; tile < padded; tile += TileWidth)
            {
                int width = Math.Min(TileWidth, padded - tile);
                ref float panel = ref Unsafe.Add(ref panels, tile * d);
                int v = 0;
                for (; v + (2 * Lanes) <= width; v += 2 * Lanes)
                {
                    Block6x2(ref x, d, i, i1, i2, i3, i4, i5, end, ref Unsafe.Add(ref panel, v), width, ref Unsafe.Add(ref norms, tile + v), tile + v, ref best, ref index);
                }

                if (v < width)
                {
                    Block6x1(ref x, d, i, i1, i2, i3, i4, i5, ref Unsafe.Add(ref panel, v), width, ref Unsafe.Add(ref norms, tile + v), tile + v, ref best, ref index);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block6x2(ref float x, int d, int i0, int i1, int i2, int i3, int i4, int i5, int end, ref float panel, int stride, ref float norms, int first, ref float best, ref int index)
    {
        ref float x0 = ref Unsafe.Add(ref x, i0 * d);
        ref float x1 = ref Unsafe.Add(ref x, i1 * d);
        ref float x2 = ref Unsafe.Add(ref x, i2 * d);
        ref float x3 = ref Unsafe.Add(ref x, i3 * d);
        ref float x4 = ref Unsafe.Add(ref x, i4 * d);
        ref float x5 = ref Unsafe.Add(ref x, i5 * d);

        // For long rows, the next group's six rows (contiguous) are fetched into L2 while this group
        // computes its first tile: one cache line every second step covers them.
        int ahead = first == 0 && d >= 64 ? (i0 + Group) * d : end;
        Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default;
        Vector256<float> a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;
        ref float row = ref panel;
        for (int j = 0; j < d; j++)
        {
            var c0 = Vector256.LoadUnsafe(ref row);
            var c1 = Vector256.LoadUnsafe(ref row, Lanes);
            var xj = Vector256.Create(Unsafe.Add(ref x0, j));
            a00 = Vector256.FusedMultiplyAdd(xj, c0, a00);
            a01 = Vector256.FusedMultiplyAdd(xj, c1, a01);
            xj = Vector256.Create(Unsafe.Add(ref x1, j));
            a10 = Vector256.FusedMultiplyAdd(xj, c0, a10);
            a11 = Vector256.FusedMultiplyAdd(xj, c1, a11);
            xj = Vector256.Create(Unsafe.Add(ref x2, j));
            a20 = Vector256.FusedMultiplyAdd(xj, c0, a20);
            a21 = Vector256.FusedMultiplyAdd(xj, c1, a21);
            xj = Vector256.Create(Unsafe.Add(ref x3, j));
            a30 = Vector256.FusedMultiplyAdd(xj, c0, a30);
            a31 = Vector256.FusedMultiplyAdd(xj, c1, a31);
            xj = Vector256.Create(Unsafe.Add(ref x4, j));
            a40 = Vector256.FusedMultiplyAdd(xj, c0, a40);
            a41 = Vector256.FusedMultiplyAdd(xj, c1, a41);
            xj = Vector256.Create(Unsafe.Add(ref x5, j));
            a50 = Vector256.FusedMultiplyAdd(xj, c0, a50);
            a51 = Vector256.FusedMultiplyAdd(xj, c1, a51);
            row = ref Unsafe.Add(ref row, stride);
            if ((j & 1) == 0)
            {
                Prefetch(ref x, ahead + (8 * j), end);
            }
        }

        Update(a00, a01, ref norms, first, ref Unsafe.Add(ref best, i0), ref Unsafe.Add(ref index, i0));
        Update(a10, a11, ref norms, first, ref Unsafe.Add(ref best, i1), ref Unsafe.Add(ref index, i1));
        Update(a20, a21, ref norms, first, ref Unsafe.Add(ref best, i2), ref Unsafe.Add(ref index, i2));
        Update(a30, a31, ref norms, first, ref Unsafe.Add(ref best, i3), ref Unsafe.Add(ref index, i3));
        Update(a40, a41, ref norms, first, ref Unsafe.Add(ref best, i4), ref Unsafe.Add(ref index, i4));
        Update(a50, a51, ref norms, first, ref Unsafe.Add(ref best, i5), ref Unsafe.Add(ref index, i5));
    }

    private static void Block6x1(ref float x, int d, int i0, int i1, int i2, int i3, int i4, int i5, ref float panel, int stride, ref float norms, int first, ref float best, ref int index)
    {
        ref float x0 = ref Unsafe.Add(ref x, i0 * d);
        ref float x1 = ref Unsafe.Add(ref x, i1 * d);
        ref float x2 = ref Unsafe.Add(ref x, i2 * d);
        ref float x3 = ref Unsafe.Add(ref x, i3 * d);
        ref float x4 = ref Unsafe.Add(ref x, i4 * d);
        ref float x5 = ref Unsafe.Add(ref x, i5 * d);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        ref float row = ref panel;
        for (int j = 0; j < d; j++)
        {
            var c = Vector256.LoadUnsafe(ref row);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x0, j)), c, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x1, j)), c, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x2, j)), c, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x3, j)), c, a3);
            a4 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x4, j)), c, a4);
            a5 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x5, j)), c, a5);
            row = ref Unsafe.Add(ref row, stride);
        }

        Update(a0, ref norms, first, ref Unsafe.Add(ref best, i0), ref Unsafe.Add(ref index, i0));
        Update(a1, ref norms, first, ref Unsafe.Add(ref best, i1), ref Unsafe.Add(ref index, i1));
        Update(a2, ref norms, first, ref Unsafe.Add(ref best, i2), ref Unsafe.Add(ref index, i2));
        Update(a3, ref norms, first, ref Unsafe.Add(ref best, i3), ref Unsafe.Add(ref index, i3));
        Update(a4, ref norms, first, ref Unsafe.Add(ref best, i4), ref Unsafe.Add(ref index, i4));
        Update(a5, ref norms, first, ref Unsafe.Add(ref best, i5), ref Unsafe.Add(ref index, i5));
    }

    /// <summary>Twelve points (from <paramref name="i"/>, the last repeated past the end) against the one vector of k ≤ 8 centroids.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block12x1(ref float x, int d, int i, int last, int end, ref float panel, ref float norms, ref float best, ref int index)
    {
        ref float x0 = ref Unsafe.Add(ref x, i * d);
        ref float x1 = ref Unsafe.Add(ref x, Math.Min(i + 1, last) * d);
        ref float x2 = ref Unsafe.Add(ref x, Math.Min(i + 2, last) * d);
        ref float x3 = ref Unsafe.Add(ref x, Math.Min(i + 3, last) * d);
        ref float x4 = ref Unsafe.Add(ref x, Math.Min(i + 4, last) * d);
        ref float x5 = ref Unsafe.Add(ref x, Math.Min(i + 5, last) * d);
        ref float x6 = ref Unsafe.Add(ref x, Math.Min(i + 6, last) * d);
        ref float x7 = ref Unsafe.Add(ref x, Math.Min(i + 7, last) * d);
        ref float x8 = ref Unsafe.Add(ref x, Math.Min(i + 8, last) * d);
        ref float x9 = ref Unsafe.Add(ref x, Math.Min(i + 9, last) * d);
        ref float x10 = ref Unsafe.Add(ref x, Math.Min(i + 10, last) * d);
        ref float x11 = ref Unsafe.Add(ref x, Math.Min(i + 11, last) * d);
        int ahead = d >= 64 ? (i + WideGroup) * d : end;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector256<float> a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
        ref float row = ref panel;
        for (int j = 0; j < d; j++)
        {
            var c = Vector256.LoadUnsafe(ref row);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x0, j)), c, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x1, j)), c, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x2, j)), c, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x3, j)), c, a3);
            a4 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x4, j)), c, a4);
            a5 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x5, j)), c, a5);
            a6 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x6, j)), c, a6);
            a7 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x7, j)), c, a7);
            a8 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x8, j)), c, a8);
            a9 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x9, j)), c, a9);
            a10 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x10, j)), c, a10);
            a11 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x11, j)), c, a11);
            row = ref Unsafe.Add(ref row, Lanes);

            // The next twelve rows: a cache line's worth (or more) every step.
            Prefetch(ref x, ahead + (12 * j), end);
        }

        Update(a0, ref norms, 0, ref Unsafe.Add(ref best, i), ref Unsafe.Add(ref index, i));
        Update(a1, ref norms, 0, ref Unsafe.Add(ref best, Math.Min(i + 1, last)), ref Unsafe.Add(ref index, Math.Min(i + 1, last)));
        Update(a2, ref norms, 0, ref Unsafe.Add(ref best, Math.Min(i + 2, last)), ref Unsafe.Add(ref index, Math.Min(i + 2, last)));
        Update(a3, ref norms, 0, ref Unsafe.Add(ref best, Math.Min(i + 3, last)), ref Unsafe.Add(ref index, Math.Min(i + 3, last)));
        Update(a4, ref norms, 0, ref Unsafe.Add(ref best, Math.Min(i + 4, last)), ref Unsafe.Add(ref index, Math.Min(i + 4, last)));
        Update(a5, ref norms, 0, ref Unsafe.Add(ref best, Math.Min(i + 5, last)), ref Unsafe.Add(ref index, Math.Min(i + 5, last)));
        Update(a6, ref norms, 0, ref Unsafe.Add(ref best, Math.Min(i + 6, last)), ref Unsafe.Add(ref index, Math.Min(i + 6, last)));
        Update(a7, ref norms, 0, ref Unsafe.Add(ref best, Math.Min(i + 7, last)), ref Unsafe.Add(ref index, Math.Min(i + 7, last)));
        Update(a8, ref norms, 0, ref Unsafe.Add(ref best, Math.Min(i + 8, last)), ref Unsafe.Add(ref index, Math.Min(i + 8, last)));
        Update(a9, ref norms, 0, ref Unsafe.Add(ref best, Math.Min(i + 9, last)), ref Unsafe.Add(ref index, Math.Min(i + 9, last)));
        Update(a10, ref norms, 0, ref Unsafe.Add(ref best, Math.Min(i + 10, last)), ref Unsafe.Add(ref index, Math.Min(i + 10, last)));
        Update(a11, ref norms, 0, ref Unsafe.Add(ref best, Math.Min(i + 11, last)), ref Unsafe.Add(ref index, Math.Min(i + 11, last)));
    }

    /// <summary>Asks for the cache line at x[offset] to be brought into L2 (a hint; see the Vector512 pairs kernel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(ref float x, int offset, int end)
    {
        if (offset < end && Sse.IsSupported)
        {
            Sse.Prefetch1((byte*)Unsafe.AsPointer(ref x) + ((nint)offset * sizeof(float)));
        }
    }

    /// <summary>
    /// Turns one point's dot products with 16 centroids into scores and keeps the lowest if it beats the
    /// point's best so far: strictly, so that an earlier (lower) index wins a tie.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(Vector256<float> a0, Vector256<float> a1, ref float norms, int first, ref float best, ref int index)
    {
        var minusTwo = Vector256.Create(-2f);
        a0 = Vector256.FusedMultiplyAdd(minusTwo, a0, Vector256.LoadUnsafe(ref norms));
        a1 = Vector256.FusedMultiplyAdd(minusTwo, a1, Vector256.LoadUnsafe(ref norms, Lanes));
        var u = MinAcrossLanes(Vector256.MinNative(a0, a1));
        float m = u.ToScalar();

        // Without a branch: with two vectors per point a point meets several tiles, and whether a later
        // one beats the earlier ones is a coin toss the predictor would lose.
        // Bit 8v + l stands for centroid first + 8v + l: the lowest set bit is the lowest index.
        uint mask = Vector256.Equals(a0, u).ExtractMostSignificantBits()
            | (Vector256.Equals(a1, u).ExtractMostSignificantBits() << Lanes);
        int candidate = first + BitOperations.TrailingZeroCount(mask);
        bool better = m < best;
        index = better ? candidate : index;
        best = better ? m : best;
    }

    /// <summary>Scores one point against one vector of centroids; otherwise as the two-vector overload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(Vector256<float> a, ref float norms, int first, ref float best, ref int index)
    {
        a = Vector256.FusedMultiplyAdd(Vector256.Create(-2f), a, Vector256.LoadUnsafe(ref norms));
        var u = MinAcrossLanes(a);
        float m = u.ToScalar();
        if (m < best)
        {
            best = m;
            index = first + BitOperations.TrailingZeroCount(Vector256.Equals(a, u).ExtractMostSignificantBits());
        }
    }

    /// <summary>Gets the least lane of <paramref name="u"/> in every lane (no lane may be NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MinAcrossLanes(Vector256<float> u)
    {
        u = Vector256.MinNative(u, Vector256.Shuffle(u, Vector256.Create(4, 5, 6, 7, 0, 1, 2, 3)));
        u = Vector256.MinNative(u, Vector256.Shuffle(u, Vector256.Create(2, 3, 0, 1, 6, 7, 4, 5)));
        return Vector256.MinNative(u, Vector256.Shuffle(u, Vector256.Create(1, 0, 3, 2, 5, 4, 7, 6)));
    }
}
