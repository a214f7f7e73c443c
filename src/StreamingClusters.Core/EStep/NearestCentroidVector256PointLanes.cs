using System.Runtime.Intrinsics.X86;

namespace StreamingClusters.EStep;

/// <summary>
/// The Vector256 path of <see cref="NearestCentroidKernel"/> for short points (d below
/// <see cref="NearestCentroidVector256.PointLanesDimensions"/>): each vector holds eight points, and each
/// centroid coordinate is broadcast. Twenty-four points (three vectors) against four centroids per step:
/// twelve accumulators (more chains than the multiply-adds' latency × throughput), the three point
/// vectors and one broadcast: the 16 registers of a machine without AVX-512; each lane's best score and
/// index wait in L1. The argmin is then a lane-wise compare and select per
/// centroid, in centroid order, with no horizontal minimum at all: with few coordinates per point, those
/// cost as much as the dot products in the centroid-lane kernel. The points are transposed into a stack
/// buffer first (coordinate j of the block's points side by side). Per (point, centroid) the arithmetic is
/// that of <see cref="NearestCentroidScalar"/>: the same chain of fused multiply-adds from j = 0 up, the
/// same score, and a point keeps a centroid only if it scores strictly lower, so ties go to the lowest index.
/// </summary>
internal static class NearestCentroidVector256PointLanes
{
    private const int Lanes = 8;
    private const int Points = 3 * Lanes;
    private const int Centroids = 4;

    /// <summary>Finds the nearest centroid of each point.</summary>
    /// <param name="set">The model version (its row-major centroids and norms are read).</param>
    /// <param name="points">count × d values, row-major, none of them wild; d below 64.</param>
    /// <param name="nearest">Receives each point's cluster index.</param>
    /// <param name="scores">Receives each point's best score.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FindNearest(CentroidSet set, ReadOnlySpan<float> points, Span<int> nearest, Span<float> scores)
    {
        int d = set.Dimensions;
        int count = points.Length / d;
        Debug.Assert(d < NearestCentroidVector256.PointLanesDimensions && count > 0);
        Span<float> transposed = stackalloc float[Points * NearestCentroidVector256.PointLanesDimensions];
        Span<float> bestScores = stackalloc float[Points];
        Span<int> bestIndices = stackalloc int[Points];
        ref float x = ref MemoryMarshal.GetReference(points);
        ref float t = ref MemoryMarshal.GetReference(transposed);
        int last = count - 1;
        for (int i = 0; i < count; i += Points)
        {
            // Points past the end repeat the last point; their results are not written. Blocks of 8
            // points × 8 coordinates are transposed in registers, the coordinates left over one by one.
            int blocked = Avx.IsSupported ? d & ~7 : 0;
            for (int p = 0; p < Points; p += Lanes)
            {
                for (int j = 0; j < blocked; j += Lanes)
                {
                    Transpose8(ref x, d, i + p, last, j, ref Unsafe.Add(ref t, (j * Points) + p));
                }
            }

            for (int p = 0; p < Points; p++)
            {
                ref float row = ref Unsafe.Add(ref x, Math.Min(i + p, last) * d);
                for (int j = blocked; j < d; j++)
                {
                    Unsafe.Add(ref t, (j * Points) + p) = Unsafe.Add(ref row, j);
                }
            }

            Block(ref t, d, set, bestScores, bestIndices);
            int n = Math.Min(Points, count - i);
            bestScores[..n].CopyTo(scores[i..]);
            bestIndices[..n].CopyTo(nearest[i..]);
        }
    }

    /// <summary>
    /// Writes coordinates j … j + 7 of points i … i + 7 (past <paramref name="last"/>, the last point again)
    /// as eight rows of eight points, <see cref="Points"/> floats apart: unpacks, shuffles within 128-bit
    /// halves, then the halves exchanged, 24 shuffles for 64 values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(ref float x, int d, int i, int last, int j, ref float target)
    {
        var r0 = Vector256.LoadUnsafe(ref x, (nuint)((Math.Min(i, last) * d) + j));
        var r1 = Vector256.LoadUnsafe(ref x, (nuint)((Math.Min(i + 1, last) * d) + j));
        var r2 = Vector256.LoadUnsafe(ref x, (nuint)((Math.Min(i + 2, last) * d) + j));
        var r3 = Vector256.LoadUnsafe(ref x, (nuint)((Math.Min(i + 3, last) * d) + j));
        var r4 = Vector256.LoadUnsafe(ref x, (nuint)((Math.Min(i + 4, last) * d) + j));
        var r5 = Vector256.LoadUnsafe(ref x, (nuint)((Math.Min(i + 5, last) * d) + j));
        var r6 = Vector256.LoadUnsafe(ref x, (nuint)((Math.Min(i + 6, last) * d) + j));
        var r7 = Vector256.LoadUnsafe(ref x, (nuint)((Math.Min(i + 7, last) * d) + j));
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref target);
        Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref target, Points);
        Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref target, 2 * Points);
        Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref target, 3 * Points);
        Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref target, 4 * Points);
        Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref target, 5 * Points);
        Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref target, 6 * Points);
        Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref target, 7 * Points);
    }

    /// <summary>Scores the transposed points against every centroid, four at a time, keeping each point's best.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block(ref float transposed, int d, CentroidSet set, Span<float> bestScores, Span<int> bestIndices)
    {
        int k = set.Clusters;
        ref float mu = ref MemoryMarshal.GetReference(set.Centroids);
        ref float norms = ref MemoryMarshal.GetArrayDataReference(set.Norms);
        var minusTwo = Vector256.Create(-2f);
        ref float bestScore = ref MemoryMarshal.GetReference(bestScores);
        ref int bestIndex = ref MemoryMarshal.GetReference(bestIndices);
        bestScores.Fill(float.PositiveInfinity);
        bestIndices.Clear();
        for (int c = 0; c < k; c += Centroids)
        {
            // The last step may repeat the last centroid: a repeated score is never strictly lower.
            int c1 = Math.Min(c + 1, k - 1), c2 = Math.Min(c + 2, k - 1), c3 = Math.Min(c + 3, k - 1);
            ref float m0 = ref Unsafe.Add(ref mu, c * d);
            ref float m1 = ref Unsafe.Add(ref mu, c1 * d);
            ref float m2 = ref Unsafe.Add(ref mu, c2 * d);
            ref float m3 = ref Unsafe.Add(ref mu, c3 * d);
            Vector256<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
            Vector256<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
            ref float row = ref transposed;
            for (int j = 0; j < d; j++)
            {
                var x0 = Vector256.LoadUnsafe(ref row);
                var x1 = Vector256.LoadUnsafe(ref row, Lanes);
                var x2 = Vector256.LoadUnsafe(ref row, 2 * Lanes);
                var m = Vector256.Create(Unsafe.Add(ref m0, j));
                a00 = Vector256.FusedMultiplyAdd(x0, m, a00);
                a01 = Vector256.FusedMultiplyAdd(x1, m, a01);
                a02 = Vector256.FusedMultiplyAdd(x2, m, a02);
                m = Vector256.Create(Unsafe.Add(ref m1, j));
                a10 = Vector256.FusedMultiplyAdd(x0, m, a10);
                a11 = Vector256.FusedMultiplyAdd(x1, m, a11);
                a12 = Vector256.FusedMultiplyAdd(x2, m, a12);
                m = Vector256.Create(Unsafe.Add(ref m2, j));
                a20 = Vector256.FusedMultiplyAdd(x0, m, a20);
                a21 = Vector256.FusedMultiplyAdd(x1, m, a21);
                a22 = Vector256.FusedMultiplyAdd(x2, m, a22);
                m = Vector256.Create(Unsafe.Add(ref m3, j));
                a30 = Vector256.FusedMultiplyAdd(x0, m, a30);
                a31 = Vector256.FusedMultiplyAdd(x1, m, a31);
                a32 = Vector256.FusedMultiplyAdd(x2, m, a32);
                row = ref Unsafe.Add(ref row, Points);
            }

            Keep(a00, a01, a02, minusTwo, Unsafe.Add(ref norms, c), c, ref bestScore, ref bestIndex);
            Keep(a10, a11, a12, minusTwo, Unsafe.Add(ref norms, c1), c1, ref bestScore, ref bestIndex);
            Keep(a20, a21, a22, minusTwo, Unsafe.Add(ref norms, c2), c2, ref bestScore, ref bestIndex);
            Keep(a30, a31, a32, minusTwo, Unsafe.Add(ref norms, c3), c3, ref bestScore, ref bestIndex);
        }
    }

    /// <summary>Turns the points' dot products with centroid c into scores and keeps those strictly below each point's best.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Keep(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> minusTwo, float norm, int c, ref float bestScore, ref int bestIndex)
    {
        var n = Vector256.Create(norm);
        var cluster = Vector256.Create(c);
        Keep(Vector256.FusedMultiplyAdd(minusTwo, a0, n), cluster, ref bestScore, ref bestIndex);
        Keep(Vector256.FusedMultiplyAdd(minusTwo, a1, n), cluster, ref Unsafe.Add(ref bestScore, Lanes), ref Unsafe.Add(ref bestIndex, Lanes));
        Keep(Vector256.FusedMultiplyAdd(minusTwo, a2, n), cluster, ref Unsafe.Add(ref bestScore, 2 * Lanes), ref Unsafe.Add(ref bestIndex, 2 * Lanes));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Keep(Vector256<float> score, Vector256<int> cluster, ref float bestScore, ref int bestIndex)
    {
        var best = Vector256.LoadUnsafe(ref bestScore);
        var lower = Vector256.LessThan(score, best);
        Vector256.ConditionalSelect(lower, score, best).StoreUnsafe(ref bestScore);
        Vector256.ConditionalSelect(lower.AsInt32(), cluster, Vector256.LoadUnsafe(ref bestIndex)).StoreUnsafe(ref bestIndex);
    }
}
