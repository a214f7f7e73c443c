namespace StreamingClusters.EStep;

/// <summary>
/// The Vector256 path of <see cref="NearestCentroidKernel"/>: each point against tiles of four
/// centroid vectors (32 centroids) held in registers, over the transposed layout of
/// <see cref="CentroidSet"/>. Same arithmetic order as <see cref="NearestCentroidScalar"/>.
/// </summary>
internal static class NearestCentroidVector256
{
    private const int Lanes = 8;

    /// <summary>Finds the nearest centroid of each point.</summary>
    /// <param name="set">The model version, laid out with 8 lanes.</param>
    /// <param name="points">count × d values, row-major.</param>
    /// <param name="nearest">Receives each point's cluster index.</param>
    /// <param name="scores">Receives each point's best score.</param>
    public static void FindNearest(CentroidSet set, ReadOnlySpan<float> points, Span<int> nearest, Span<float> scores)
    {
        Debug.Assert(set.Lanes == Lanes);
        int d = set.Dimensions;
        int count = points.Length / d;
        int kPad = set.PaddedClusters;
        ref float c0 = ref MemoryMarshal.GetArrayDataReference(set.Transposed);
        ref float norms = ref MemoryMarshal.GetArrayDataReference(set.Norms);
        ref float x0 = ref MemoryMarshal.GetReference(points);
        var minusTwo = Vector256.Create(-2f);

        for (int i = 0; i < count; i++)
        {
            ref float x = ref Unsafe.Add(ref x0, i * d);
            float best = float.PositiveInfinity;
            int bestIndex = 0;
            int tile = 0;
            for (; tile + (4 * Lanes) <= kPad; tile += 4 * Lanes)
            {
                Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
                ref float col = ref Unsafe.Add(ref c0, tile);
                for (int j = 0; j < d; j++)
                {
                    var xj = Vector256.Create(Unsafe.Add(ref x, j));
                    ref float row = ref Unsafe.Add(ref col, j * kPad);
                    a0 = Vector256.FusedMultiplyAdd(xj, Vector256.LoadUnsafe(ref row), a0);
                    a1 = Vector256.FusedMultiplyAdd(xj, Vector256.LoadUnsafe(ref row, Lanes), a1);
                    a2 = Vector256.FusedMultiplyAdd(xj, Vector256.LoadUnsafe(ref row, 2 * Lanes), a2);
                    a3 = Vector256.FusedMultiplyAdd(xj, Vector256.LoadUnsafe(ref row, 3 * Lanes), a3);
                }

                ref float n = ref Unsafe.Add(ref norms, tile);
                a0 = Vector256.FusedMultiplyAdd(minusTwo, a0, Vector256.LoadUnsafe(ref n));
                a1 = Vector256.FusedMultiplyAdd(minusTwo, a1, Vector256.LoadUnsafe(ref n, Lanes));
                a2 = Vector256.FusedMultiplyAdd(minusTwo, a2, Vector256.LoadUnsafe(ref n, 2 * Lanes));
                a3 = Vector256.FusedMultiplyAdd(minusTwo, a3, Vector256.LoadUnsafe(ref n, 3 * Lanes));
                float m = Vector256.Min(Vector256.Min(a0, a1), Vector256.Min(a2, a3)).ToScalarMin();
                if (m < best)
                {
                    best = m;
                    bestIndex = tile + FirstLaneEqual(a0, a1, a2, a3, m);
                }
            }

            for (; tile < kPad; tile += Lanes)
            {
                Vector256<float> a = Vector256<float>.Zero;
                ref float col = ref Unsafe.Add(ref c0, tile);
                for (int j = 0; j < d; j++)
                {
                    a = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, j)), Vector256.LoadUnsafe(ref col, (nuint)(j * kPad)), a);
                }

                a = Vector256.FusedMultiplyAdd(minusTwo, a, Vector256.LoadUnsafe(ref norms, (nuint)tile));
                float m = a.ToScalarMin();
                if (m < best)
                {
                    best = m;
                    bestIndex = tile + BitOperations.TrailingZeroCount(Vector256.Equals(a, Vector256.Create(m)).ExtractMostSignificantBits());
                }
            }

            nearest[i] = bestIndex;
            scores[i] = best;
        }
    }

    private static int FirstLaneEqual(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3, float m)
    {
        var mv = Vector256.Create(m);
        ulong mask = Vector256.Equals(a0, mv).ExtractMostSignificantBits()
            | (Vector256.Equals(a1, mv).ExtractMostSignificantBits() << Lanes)
            | (Vector256.Equals(a2, mv).ExtractMostSignificantBits() << (2 * Lanes))
            | (Vector256.Equals(a3, mv).ExtractMostSignificantBits() << (3 * Lanes));
        return BitOperations.TrailingZeroCount(mask);
    }

    private static float ToScalarMin(this Vector256<float> v)
    {
        Vector128<float> q = Vector128.Min(v.GetLower(), v.GetUpper());
        q = Vector128.Min(q, Vector128.Shuffle(q, Vector128.Create(2, 3, 0, 1)));
        q = Vector128.Min(q, Vector128.Shuffle(q, Vector128.Create(1, 0, 3, 2)));
        return q.ToScalar();
    }
}
