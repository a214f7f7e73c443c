using System.Runtime.Intrinsics.X86;

namespace StreamingClusters.EStep;

/// <summary>
/// The Vector512 path of <see cref="NearestCentroidKernel"/> for k &gt; 8, register-blocked: four points
/// against a tile of four centroid vectors (64 centroids) per step, 16 accumulators, each centroid
/// vector loaded once for four points and each coordinate broadcast once for 64 centroids. The argmin
/// is fused in. Per (point, centroid) the arithmetic is that of <see cref="NearestCentroidScalar"/>.
/// </summary>
internal static class NearestCentroidVector512
{
    private const int Lanes = 16;
    private const int TileWidth = 4 * Lanes;

    /// <summary>Finds the nearest centroid of each point.</summary>
    /// <param name="set">The model version, laid out with 16 lanes in tiles.</param>
    /// <param name="points">count × d values, row-major, none of them wild.</param>
    /// <param name="nearest">Receives each point's cluster index.</param>
    /// <param name="scores">Receives each point's best score.</param>
    public static void FindNearest(CentroidSet set, ReadOnlySpan<float> points, Span<int> nearest, Span<float> scores)
    {
        Debug.Assert(set.Lanes == Lanes && !set.PairsPoints);
        int d = set.Dimensions;
        int count = points.Length / d;
        scores[..count].Fill(float.PositiveInfinity);
        nearest[..count].Clear();
        ref float x = ref MemoryMarshal.GetReference(points);
        ref float best = ref MemoryMarshal.GetReference(scores);
        ref int index = ref MemoryMarshal.GetReference(nearest);
        for (int tile = 0; tile < set.PaddedClusters; tile += TileWidth)
        {
            int width = Math.Min(TileWidth, set.PaddedClusters - tile);
            ref float panel = ref MemoryMarshal.GetArrayDataReference(set.Panels);
            panel = ref Unsafe.Add(ref panel, set.PanelOffset + (tile * d));
            ref float norms = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(set.LaneNorms), tile);

            // Groups of four points; the last group repeats the final point, which changes nothing.
            for (int i = 0; i < count; i += 4)
            {
                int last = count - 1;
                if (width == TileWidth)
                {
                    Block4x4(ref x, d, i, Math.Min(i + 1, last), Math.Min(i + 2, last), Math.Min(i + 3, last), ref panel, ref norms, tile, ref best, ref index);
                }
                else
                {
                    for (int v = 0; v < width; v += Lanes)
                    {
                        Block4x1(ref x, d, i, Math.Min(i + 1, last), Math.Min(i + 2, last), Math.Min(i + 3, last), ref Unsafe.Add(ref panel, v), width, ref Unsafe.Add(ref norms, v), tile + v, ref best, ref index);
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4x4(ref float x, int d, int i0, int i1, int i2, int i3, ref float panel, ref float norms, int tile, ref float best, ref int index)
    {
        ref float x0 = ref Unsafe.Add(ref x, i0 * d);
        ref float x1 = ref Unsafe.Add(ref x, i1 * d);
        ref float x2 = ref Unsafe.Add(ref x, i2 * d);
        ref float x3 = ref Unsafe.Add(ref x, i3 * d);

        // For long rows, the next group's four rows (contiguous) are fetched into L2 while this group
        // computes: one cache line every fourth step covers them. Short rows stream well on their own.
        int ahead = (i3 + 1) * d;
        int end = d >= 64 ? ahead + (4 * d) : 0;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        ref float row = ref panel;
        for (int j = 0; j < d; j++)
        {
            var c0 = Vector512.LoadUnsafe(ref row);
            var c1 = Vector512.LoadUnsafe(ref row, Lanes);
            var c2 = Vector512.LoadUnsafe(ref row, 2 * Lanes);
            var c3 = Vector512.LoadUnsafe(ref row, 3 * Lanes);
            var xj = Vector512.Create(Unsafe.Add(ref x0, j));
            a00 = Vector512.FusedMultiplyAdd(xj, c0, a00);
            a01 = Vector512.FusedMultiplyAdd(xj, c1, a01);
            a02 = Vector512.FusedMultiplyAdd(xj, c2, a02);
            a03 = Vector512.FusedMultiplyAdd(xj, c3, a03);
            xj = Vector512.Create(Unsafe.Add(ref x1, j));
            a10 = Vector512.FusedMultiplyAdd(xj, c0, a10);
            a11 = Vector512.FusedMultiplyAdd(xj, c1, a11);
            a12 = Vector512.FusedMultiplyAdd(xj, c2, a12);
            a13 = Vector512.FusedMultiplyAdd(xj, c3, a13);
            xj = Vector512.Create(Unsafe.Add(ref x2, j));
            a20 = Vector512.FusedMultiplyAdd(xj, c0, a20);
            a21 = Vector512.FusedMultiplyAdd(xj, c1, a21);
            a22 = Vector512.FusedMultiplyAdd(xj, c2, a22);
            a23 = Vector512.FusedMultiplyAdd(xj, c3, a23);
            xj = Vector512.Create(Unsafe.Add(ref x3, j));
            a30 = Vector512.FusedMultiplyAdd(xj, c0, a30);
            a31 = Vector512.FusedMultiplyAdd(xj, c1, a31);
            a32 = Vector512.FusedMultiplyAdd(xj, c2, a32);
            a33 = Vector512.FusedMultiplyAdd(xj, c3, a33);
            row = ref Unsafe.Add(ref row, TileWidth);
            if ((j & 3) == 0)
            {
                Prefetch(ref x, ahead + (4 * j), end);
            }
        }

        // Scores, then the least score of each point, the four points reduced together.
        var minusTwo = Vector512.Create(-2f);
        var n0 = Vector512.LoadUnsafe(ref norms);
        var n1 = Vector512.LoadUnsafe(ref norms, Lanes);
        var n2 = Vector512.LoadUnsafe(ref norms, 2 * Lanes);
        var n3 = Vector512.LoadUnsafe(ref norms, 3 * Lanes);
        a00 = Vector512.FusedMultiplyAdd(minusTwo, a00, n0);
        a01 = Vector512.FusedMultiplyAdd(minusTwo, a01, n1);
        a02 = Vector512.FusedMultiplyAdd(minusTwo, a02, n2);
        a03 = Vector512.FusedMultiplyAdd(minusTwo, a03, n3);
        a10 = Vector512.FusedMultiplyAdd(minusTwo, a10, n0);
        a11 = Vector512.FusedMultiplyAdd(minusTwo, a11, n1);
        a12 = Vector512.FusedMultiplyAdd(minusTwo, a12, n2);
        a13 = Vector512.FusedMultiplyAdd(minusTwo, a13, n3);
        a20 = Vector512.FusedMultiplyAdd(minusTwo, a20, n0);
        a21 = Vector512.FusedMultiplyAdd(minusTwo, a21, n1);
        a22 = Vector512.FusedMultiplyAdd(minusTwo, a22, n2);
        a23 = Vector512.FusedMultiplyAdd(minusTwo, a23, n3);
        a30 = Vector512.FusedMultiplyAdd(minusTwo, a30, n0);
        a31 = Vector512.FusedMultiplyAdd(minusTwo, a31, n1);
        a32 = Vector512.FusedMultiplyAdd(minusTwo, a32, n2);
        a33 = Vector512.FusedMultiplyAdd(minusTwo, a33, n3);
        var least = LeastOfFour(
            Vector512.MinNative(Vector512.MinNative(a00, a01), Vector512.MinNative(a02, a03)),
            Vector512.MinNative(Vector512.MinNative(a10, a11), Vector512.MinNative(a12, a13)),
            Vector512.MinNative(Vector512.MinNative(a20, a21), Vector512.MinNative(a22, a23)),
            Vector512.MinNative(Vector512.MinNative(a30, a31), Vector512.MinNative(a32, a33)));
        Keep(a00, a01, a02, a03, Avx512F.Shuffle4x128(least, least, 0x00), tile, ref Unsafe.Add(ref best, i0), ref Unsafe.Add(ref index, i0));
        Keep(a10, a11, a12, a13, Avx512F.Shuffle4x128(least, least, 0x55), tile, ref Unsafe.Add(ref best, i1), ref Unsafe.Add(ref index, i1));
        Keep(a20, a21, a22, a23, Avx512F.Shuffle4x128(least, least, 0xAA), tile, ref Unsafe.Add(ref best, i2), ref Unsafe.Add(ref index, i2));
        Keep(a30, a31, a32, a33, Avx512F.Shuffle4x128(least, least, 0xFF), tile, ref Unsafe.Add(ref best, i3), ref Unsafe.Add(ref index, i3));
    }

    private static void Block4x1(ref float x, int d, int i0, int i1, int i2, int i3, ref float panel, int stride, ref float norms, int first, ref float best, ref int index)
    {
        ref float x0 = ref Unsafe.Add(ref x, i0 * d);
        ref float x1 = ref Unsafe.Add(ref x, i1 * d);
        ref float x2 = ref Unsafe.Add(ref x, i2 * d);
        ref float x3 = ref Unsafe.Add(ref x, i3 * d);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        ref float row = ref panel;
        for (int j = 0; j < d; j++)
        {
            var c = Vector512.LoadUnsafe(ref row);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x0, j)), c, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x1, j)), c, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x2, j)), c, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x3, j)), c, a3);
            row = ref Unsafe.Add(ref row, stride);
        }

        Update(a0, ref norms, first, ref Unsafe.Add(ref best, i0), ref Unsafe.Add(ref index, i0));
        Update(a1, ref norms, first, ref Unsafe.Add(ref best, i1), ref Unsafe.Add(ref index, i1));
        Update(a2, ref norms, first, ref Unsafe.Add(ref best, i2), ref Unsafe.Add(ref index, i2));
        Update(a3, ref norms, first, ref Unsafe.Add(ref best, i3), ref Unsafe.Add(ref index, i3));
    }

    /// <summary>Asks for the cache line at x[offset] to be brought into L2 (a hint; see the pairs kernel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(ref float x, int offset, int end)
    {
        if (offset < end)
        {
            Sse.Prefetch1((byte*)Unsafe.AsPointer(ref x) + ((nint)offset * sizeof(float)));
        }
    }

    /// <summary>
    /// Gets, in the four lanes of 128-bit block p, the least lane of <paramref name="u0"/> …
    /// <paramref name="u3"/>[p]: the four horizontal minima share their shuffles (no lane may be NaN).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LeastOfFour(Vector512<float> u0, Vector512<float> u1, Vector512<float> u2, Vector512<float> u3)
    {
        // Blocks [u0.0 ∧ u0.2, u0.1 ∧ u0.3, u1.0 ∧ u1.2, u1.1 ∧ u1.3], and the same for u2, u3.
        var t01 = Vector512.MinNative(Avx512F.Shuffle4x128(u0, u1, 0x44), Avx512F.Shuffle4x128(u0, u1, 0xEE));
        var t23 = Vector512.MinNative(Avx512F.Shuffle4x128(u2, u3, 0x44), Avx512F.Shuffle4x128(u2, u3, 0xEE));

        // Block p: four partial minima of u_p.
        var t = Vector512.MinNative(Avx512F.Shuffle4x128(t01, t23, 0x88), Avx512F.Shuffle4x128(t01, t23, 0xDD));
        t = Vector512.MinNative(t, Avx512F.Permute4x32(t, 0x4E));
        return Vector512.MinNative(t, Avx512F.Permute4x32(t, 0xB1));
    }

    /// <summary>
    /// Keeps a point's least score <paramref name="least"/> (in every lane) if it beats the point's best
    /// so far, strictly, with the lowest index among the tile's lanes that hold it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Keep(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3, Vector512<float> least, int first, ref float best, ref int index)
    {
        float m = least.ToScalar();
        if (m < best)
        {
            // Bit 16v + l stands for centroid first + 16v + l: the lowest set bit is the lowest index.
            ulong mask = Vector512.Equals(a0, least).ExtractMostSignificantBits()
                | (Vector512.Equals(a1, least).ExtractMostSignificantBits() << Lanes)
                | (Vector512.Equals(a2, least).ExtractMostSignificantBits() << (2 * Lanes))
                | (Vector512.Equals(a3, least).ExtractMostSignificantBits() << (3 * Lanes));
            best = m;
            index = first + BitOperations.TrailingZeroCount(mask);
        }
    }

    /// <summary>Scores one point against one vector of centroids and keeps its least score, as <see cref="Keep"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(Vector512<float> a, ref float norms, int first, ref float best, ref int index)
    {
        a = Vector512.FusedMultiplyAdd(Vector512.Create(-2f), a, Vector512.LoadUnsafe(ref norms));
        var u = MinAcrossLanes(a);
        float m = u.ToScalar();
        if (m < best)
        {
            best = m;
            index = first + BitOperations.TrailingZeroCount(Vector512.Equals(a, u).ExtractMostSignificantBits());
        }
    }

    /// <summary>Gets the least lane of <paramref name="u"/> in every lane (no lane may be NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> MinAcrossLanes(Vector512<float> u)
    {
        u = Vector512.MinNative(u, Vector512.Shuffle(u, Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)));
        u = Vector512.MinNative(u, Vector512.Shuffle(u, Vector512.Create(4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11)));
        u = Vector512.MinNative(u, Vector512.Shuffle(u, Vector512.Create(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13)));
        return Vector512.MinNative(u, Vector512.Shuffle(u, Vector512.Create(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14)));
    }
}
