namespace StreamingClusters.EStep;

/// <summary>
/// The Vector256 path of <see cref="NearestCentroidKernel"/> (machines without AVX-512), register-blocked: four points
/// against a tile of four centroid vectors (32 centroids) per step, 16 accumulators, each centroid
/// vector loaded once for four points and each coordinate broadcast once for 32 centroids. The argmin
/// is fused in. Per (point, centroid) the arithmetic is that of <see cref="NearestCentroidScalar"/>.
/// </summary>
internal static class NearestCentroidVector256
{
    private const int Lanes = 8;
    private const int TileWidth = 4 * Lanes;

    /// <summary>Finds the nearest centroid of each point.</summary>
    /// <param name="set">The model version, laid out with 8 lanes in tiles.</param>
    /// <param name="points">count × d values, row-major, none of them wild.</param>
    /// <param name="nearest">Receives each point's cluster index.</param>
    /// <param name="scores">Receives each point's best score.</param>
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

    private static void Block4x4(ref float x, int d, int i0, int i1, int i2, int i3, ref float panel, ref float norms, int tile, ref float best, ref int index)
    {
        ref float x0 = ref Unsafe.Add(ref x, i0 * d);
        ref float x1 = ref Unsafe.Add(ref x, i1 * d);
        ref float x2 = ref Unsafe.Add(ref x, i2 * d);
        ref float x3 = ref Unsafe.Add(ref x, i3 * d);
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        ref float row = ref panel;
        for (int j = 0; j < d; j++)
        {
            var c0 = Vector256.LoadUnsafe(ref row);
            var c1 = Vector256.LoadUnsafe(ref row, Lanes);
            var c2 = Vector256.LoadUnsafe(ref row, 2 * Lanes);
            var c3 = Vector256.LoadUnsafe(ref row, 3 * Lanes);
            var xj = Vector256.Create(Unsafe.Add(ref x0, j));
            a00 = Vector256.FusedMultiplyAdd(xj, c0, a00);
            a01 = Vector256.FusedMultiplyAdd(xj, c1, a01);
            a02 = Vector256.FusedMultiplyAdd(xj, c2, a02);
            a03 = Vector256.FusedMultiplyAdd(xj, c3, a03);
            xj = Vector256.Create(Unsafe.Add(ref x1, j));
            a10 = Vector256.FusedMultiplyAdd(xj, c0, a10);
            a11 = Vector256.FusedMultiplyAdd(xj, c1, a11);
            a12 = Vector256.FusedMultiplyAdd(xj, c2, a12);
            a13 = Vector256.FusedMultiplyAdd(xj, c3, a13);
            xj = Vector256.Create(Unsafe.Add(ref x2, j));
            a20 = Vector256.FusedMultiplyAdd(xj, c0, a20);
            a21 = Vector256.FusedMultiplyAdd(xj, c1, a21);
            a22 = Vector256.FusedMultiplyAdd(xj, c2, a22);
            a23 = Vector256.FusedMultiplyAdd(xj, c3, a23);
            xj = Vector256.Create(Unsafe.Add(ref x3, j));
            a30 = Vector256.FusedMultiplyAdd(xj, c0, a30);
            a31 = Vector256.FusedMultiplyAdd(xj, c1, a31);
            a32 = Vector256.FusedMultiplyAdd(xj, c2, a32);
            a33 = Vector256.FusedMultiplyAdd(xj, c3, a33);
            row = ref Unsafe.Add(ref row, TileWidth);
        }

        Update(a00, a01, a02, a03, ref norms, tile, ref Unsafe.Add(ref best, i0), ref Unsafe.Add(ref index, i0));
        Update(a10, a11, a12, a13, ref norms, tile, ref Unsafe.Add(ref best, i1), ref Unsafe.Add(ref index, i1));
        Update(a20, a21, a22, a23, ref norms, tile, ref Unsafe.Add(ref best, i2), ref Unsafe.Add(ref index, i2));
        Update(a30, a31, a32, a33, ref norms, tile, ref Unsafe.Add(ref best, i3), ref Unsafe.Add(ref index, i3));
    }

    private static void Block4x1(ref float x, int d, int i0, int i1, int i2, int i3, ref float panel, int stride, ref float norms, int first, ref float best, ref int index)
    {
        ref float x0 = ref Unsafe.Add(ref x, i0 * d);
        ref float x1 = ref Unsafe.Add(ref x, i1 * d);
        ref float x2 = ref Unsafe.Add(ref x, i2 * d);
        ref float x3 = ref Unsafe.Add(ref x, i3 * d);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        ref float row = ref panel;
        for (int j = 0; j < d; j++)
        {
            var c = Vector256.LoadUnsafe(ref row);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x0, j)), c, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x1, j)), c, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x2, j)), c, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x3, j)), c, a3);
            row = ref Unsafe.Add(ref row, stride);
        }

        Update(a0, ref norms, first, ref Unsafe.Add(ref best, i0), ref Unsafe.Add(ref index, i0));
        Update(a1, ref norms, first, ref Unsafe.Add(ref best, i1), ref Unsafe.Add(ref index, i1));
        Update(a2, ref norms, first, ref Unsafe.Add(ref best, i2), ref Unsafe.Add(ref index, i2));
        Update(a3, ref norms, first, ref Unsafe.Add(ref best, i3), ref Unsafe.Add(ref index, i3));
    }

    /// <summary>
    /// Turns one point's dot products with a tile of 32 centroids into scores and keeps the lowest if it
    /// beats the point's best so far: strictly, so that an earlier (lower) index wins a tie.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3, ref float norms, int first, ref float best, ref int index)
    {
        var minusTwo = Vector256.Create(-2f);
        a0 = Vector256.FusedMultiplyAdd(minusTwo, a0, Vector256.LoadUnsafe(ref norms));
        a1 = Vector256.FusedMultiplyAdd(minusTwo, a1, Vector256.LoadUnsafe(ref norms, Lanes));
        a2 = Vector256.FusedMultiplyAdd(minusTwo, a2, Vector256.LoadUnsafe(ref norms, 2 * Lanes));
        a3 = Vector256.FusedMultiplyAdd(minusTwo, a3, Vector256.LoadUnsafe(ref norms, 3 * Lanes));
        var u = Vector256.MinNative(Vector256.MinNative(a0, a1), Vector256.MinNative(a2, a3));
        u = MinAcrossLanes(u);
        float m = u.ToScalar();
        if (m < best)
        {
            // Bit 8v + l stands for centroid first + 8v + l: the lowest set bit is the lowest index.
            uint mask = Vector256.Equals(a0, u).ExtractMostSignificantBits()
                | (Vector256.Equals(a1, u).ExtractMostSignificantBits() << Lanes)
                | (Vector256.Equals(a2, u).ExtractMostSignificantBits() << (2 * Lanes))
                | (Vector256.Equals(a3, u).ExtractMostSignificantBits() << (3 * Lanes));
            best = m;
            index = first + BitOperations.TrailingZeroCount(mask);
        }
    }

    /// <summary>Scores one point against one vector of centroids; otherwise as the four-vector overload.</summary>
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
