using System.Runtime.Intrinsics.X86;

namespace StreamingClusters.EStep;

/// <summary>
/// The per-point squared sums of the hard E-step (‖x‖² and the winner's ‖x − μ‖²), sixteen points at a
/// time. Each point's Vector512 of partial sums is built as <see cref="HardEStep.SquaredNorm"/> and
/// <see cref="HardEStep.SquaredDifference"/> build it; the sixteen horizontal sums are then taken
/// together by a transpose tree (shuffles and adds) instead of one Vector512.Sum per point, which is
/// most of the cost at small d. The tree adds the lanes in Vector512.Sum's order (pairs within each
/// 128-bit quarter, then the quarters' sums pairwise, then the two halves), so every result is
/// bit-identical to the point-by-point functions: nothing the model computes changes.
/// </summary>
internal static class SquaredSums16
{
    private const int Lanes = 16;

    /// <summary>Gets whether the sixteen-point path runs on this machine for points of dimension <paramref name="d"/>.</summary>
    /// <param name="d">The dimension.</param>
    /// <returns>True where AVX-512 is there and a point holds at least one vector.</returns>
    public static bool Applies(int d) => Avx512F.IsSupported && Vector512.IsHardwareAccelerated && d >= Lanes;

    /// <summary>
    /// Gets whether the sixteen-point path runs on this machine in Vector256 halves (no AVX-512): each
    /// Vector512 of the tree is a pair of Vector256 halves, each shuffle the same within 128-bit quarters,
    /// each addition the same, so the results are the same bits as on an AVX-512 machine.
    /// </summary>
    /// <param name="d">The dimension.</param>
    /// <returns>True where AVX is there (and not AVX-512) and a point holds at least sixteen values.</returns>
    public static bool AppliesInHalves(int d) => !Applies(d) && Avx.IsSupported && Vector256.IsHardwareAccelerated && d >= Lanes;

    /// <summary>Writes ‖x_i‖² of each point, bit-identical to <see cref="HardEStep.SquaredNorm"/>.</summary>
    /// <param name="points">count × d values, row-major.</param>
    /// <param name="d">The dimension.</param>
    /// <param name="norms">count slots.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SquaredNorms(ReadOnlySpan<float> points, int d, Span<float> norms)
    {
        int count = points.Length / d;
        Debug.Assert(norms.Length >= count);
        int i = 0;

        // Long points go through TensorPrimitives.Dot point by point (HardEStep.SquaredNorm), whose
        // summation order is its own.
        if (Applies(d) && d < HardEStep.DotDimensions)
        {
            int vectors = d / Lanes;
            ref float x = ref MemoryMarshal.GetReference(points);
            ref float to = ref MemoryMarshal.GetReference(norms);
            for (; i <= count - Lanes; i += Lanes)
            {
                ref float p = ref Unsafe.Add(ref x, i * d);
                Vector512<float> q0 = Pair(Pair(Norm(ref p, 0, d, vectors), Norm(ref p, 1, d, vectors)), Pair(Norm(ref p, 2, d, vectors), Norm(ref p, 3, d, vectors)));
                Vector512<float> q1 = Pair(Pair(Norm(ref p, 4, d, vectors), Norm(ref p, 5, d, vectors)), Pair(Norm(ref p, 6, d, vectors), Norm(ref p, 7, d, vectors)));
                Vector512<float> q2 = Pair(Pair(Norm(ref p, 8, d, vectors), Norm(ref p, 9, d, vectors)), Pair(Norm(ref p, 10, d, vectors), Norm(ref p, 11, d, vectors)));
                Vector512<float> q3 = Pair(Pair(Norm(ref p, 12, d, vectors), Norm(ref p, 13, d, vectors)), Pair(Norm(ref p, 14, d, vectors), Norm(ref p, 15, d, vectors)));
                Quarters(Quarters(q0, q1), Quarters(q2, q3)).StoreUnsafe(ref to, (nuint)i);
                NormTails(ref p, d, vectors, ref Unsafe.Add(ref to, i));
            }
        }
        else if (AppliesInHalves(d) && d < HardEStep.DotDimensions)
        {
            int vectors = d / Lanes;
            ref float x = ref MemoryMarshal.GetReference(points);
            ref float to = ref MemoryMarshal.GetReference(norms);
            for (; i <= count - Lanes; i += Lanes)
            {
                ref float p = ref Unsafe.Add(ref x, i * d);
                Halves q0 = Pair(Pair(NormHalves(ref p, 0, d, vectors), NormHalves(ref p, 1, d, vectors)), Pair(NormHalves(ref p, 2, d, vectors), NormHalves(ref p, 3, d, vectors)));
                Halves q1 = Pair(Pair(NormHalves(ref p, 4, d, vectors), NormHalves(ref p, 5, d, vectors)), Pair(NormHalves(ref p, 6, d, vectors), NormHalves(ref p, 7, d, vectors)));
                Halves q2 = Pair(Pair(NormHalves(ref p, 8, d, vectors), NormHalves(ref p, 9, d, vectors)), Pair(NormHalves(ref p, 10, d, vectors), NormHalves(ref p, 11, d, vectors)));
                Halves q3 = Pair(Pair(NormHalves(ref p, 12, d, vectors), NormHalves(ref p, 13, d, vectors)), Pair(NormHalves(ref p, 14, d, vectors), NormHalves(ref p, 15, d, vectors)));
                Quarters(Quarters(q0, q1), Quarters(q2, q3)).Store(ref Unsafe.Add(ref to, i));
                NormTails(ref p, d, vectors, ref Unsafe.Add(ref to, i));
            }
        }

        for (; i < count; i++)
        {
            norms[i] = HardEStep.SquaredNorm(points.Slice(i * d, d));
        }
    }

    /// <summary>Writes ‖x_i − μ_c‖² for each point's cluster c, bit-identical to <see cref="HardEStep.SquaredDifference"/>.</summary>
    /// <param name="points">count × d values, row-major.</param>
    /// <param name="d">The dimension.</param>
    /// <param name="centroids">k × d values, row-major.</param>
    /// <param name="nearest">count cluster indices.</param>
    /// <param name="distances">count slots.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SquaredDifferences(ReadOnlySpan<float> points, int d, ReadOnlySpan<float> centroids, ReadOnlySpan<int> nearest, Span<float> distances)
    {
        int count = points.Length / d;
        Debug.Assert(nearest.Length >= count && distances.Length >= count);
        int i = 0;
        if (Applies(d))
        {
            int vectors = d / Lanes;
            ref float x = ref MemoryMarshal.GetReference(points);
            ref float mu = ref MemoryMarshal.GetReference(centroids);
            ref int c = ref MemoryMarshal.GetReference(nearest);
            ref float to = ref MemoryMarshal.GetReference(distances);
            for (; i <= count - Lanes; i += Lanes)
            {
                ref float p = ref Unsafe.Add(ref x, i * d);
                ref int n = ref Unsafe.Add(ref c, i);
                Vector512<float> q0 = Pair(Pair(Difference(ref p, ref mu, ref n, 0, d, vectors), Difference(ref p, ref mu, ref n, 1, d, vectors)), Pair(Difference(ref p, ref mu, ref n, 2, d, vectors), Difference(ref p, ref mu, ref n, 3, d, vectors)));
                Vector512<float> q1 = Pair(Pair(Difference(ref p, ref mu, ref n, 4, d, vectors), Difference(ref p, ref mu, ref n, 5, d, vectors)), Pair(Difference(ref p, ref mu, ref n, 6, d, vectors), Difference(ref p, ref mu, ref n, 7, d, vectors)));
                Vector512<float> q2 = Pair(Pair(Difference(ref p, ref mu, ref n, 8, d, vectors), Difference(ref p, ref mu, ref n, 9, d, vectors)), Pair(Difference(ref p, ref mu, ref n, 10, d, vectors), Difference(ref p, ref mu, ref n, 11, d, vectors)));
                Vector512<float> q3 = Pair(Pair(Difference(ref p, ref mu, ref n, 12, d, vectors), Difference(ref p, ref mu, ref n, 13, d, vectors)), Pair(Difference(ref p, ref mu, ref n, 14, d, vectors), Difference(ref p, ref mu, ref n, 15, d, vectors)));
                Quarters(Quarters(q0, q1), Quarters(q2, q3)).StoreUnsafe(ref to, (nuint)i);
                DifferenceTails(ref p, ref mu, ref n, d, vectors, ref Unsafe.Add(ref to, i));
            }
        }
        else if (AppliesInHalves(d))
        {
            int vectors = d / Lanes;
            ref float x = ref MemoryMarshal.GetReference(points);
            ref float mu = ref MemoryMarshal.GetReference(centroids);
            ref int c = ref MemoryMarshal.GetReference(nearest);
            ref float to = ref MemoryMarshal.GetReference(distances);
            for (; i <= count - Lanes; i += Lanes)
            {
                ref float p = ref Unsafe.Add(ref x, i * d);
                ref int n = ref Unsafe.Add(ref c, i);
                Halves q0 = Pair(Pair(DifferenceHalves(ref p, ref mu, ref n, 0, d, vectors), DifferenceHalves(ref p, ref mu, ref n, 1, d, vectors)), Pair(DifferenceHalves(ref p, ref mu, ref n, 2, d, vectors), DifferenceHalves(ref p, ref mu, ref n, 3, d, vectors)));
                Halves q1 = Pair(Pair(DifferenceHalves(ref p, ref mu, ref n, 4, d, vectors), DifferenceHalves(ref p, ref mu, ref n, 5, d, vectors)), Pair(DifferenceHalves(ref p, ref mu, ref n, 6, d, vectors), DifferenceHalves(ref p, ref mu, ref n, 7, d, vectors)));
                Halves q2 = Pair(Pair(DifferenceHalves(ref p, ref mu, ref n, 8, d, vectors), DifferenceHalves(ref p, ref mu, ref n, 9, d, vectors)), Pair(DifferenceHalves(ref p, ref mu, ref n, 10, d, vectors), DifferenceHalves(ref p, ref mu, ref n, 11, d, vectors)));
                Halves q3 = Pair(Pair(DifferenceHalves(ref p, ref mu, ref n, 12, d, vectors), DifferenceHalves(ref p, ref mu, ref n, 13, d, vectors)), Pair(DifferenceHalves(ref p, ref mu, ref n, 14, d, vectors), DifferenceHalves(ref p, ref mu, ref n, 15, d, vectors)));
                Quarters(Quarters(q0, q1), Quarters(q2, q3)).Store(ref Unsafe.Add(ref to, i));
                DifferenceTails(ref p, ref mu, ref n, d, vectors, ref Unsafe.Add(ref to, i));
            }
        }

        for (; i < count; i++)
        {
            distances[i] = HardEStep.SquaredDifference(points.Slice(i * d, d), centroids.Slice(nearest[i] * d, d));
        }
    }

    /// <summary>Adds the coordinates past the last whole vector to sixteen points' sums, one by one, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void NormTails(ref float p, int d, int vectors, ref float to)
    {
        for (int j = vectors * Lanes; j < d; j++)
        {
            for (int g = 0; g < Lanes; g++)
            {
                float v = Unsafe.Add(ref p, (g * d) + j);
                ref float norm = ref Unsafe.Add(ref to, g);
                norm = MathF.FusedMultiplyAdd(v, v, norm);
            }
        }
    }

    /// <summary>As <see cref="NormTails"/>, for the squared differences from each point's centroid.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DifferenceTails(ref float p, ref float mu, ref int n, int d, int vectors, ref float to)
    {
        for (int j = vectors * Lanes; j < d; j++)
        {
            for (int g = 0; g < Lanes; g++)
            {
                float diff = Unsafe.Add(ref p, (g * d) + j) - Unsafe.Add(ref mu, (Unsafe.Add(ref n, g) * d) + j);
                ref float distance = ref Unsafe.Add(ref to, g);
                distance = MathF.FusedMultiplyAdd(diff, diff, distance);
            }
        }
    }

    /// <summary>Point <paramref name="g"/>'s sixteen lanes of Σ x² as two halves, each lane accumulated as in <see cref="Norm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Halves NormHalves(ref float p, int g, int d, int vectors)
    {
        ref float x = ref Unsafe.Add(ref p, g * d);
        Vector256<float> low = Vector256.LoadUnsafe(ref x);
        Vector256<float> high = Vector256.LoadUnsafe(ref x, 8);
        Vector256<float> lower = Vector256.FusedMultiplyAdd(low, low, Vector256<float>.Zero);
        Vector256<float> upper = Vector256.FusedMultiplyAdd(high, high, Vector256<float>.Zero);
        for (int j = 1; j < vectors; j++)
        {
            low = Vector256.LoadUnsafe(ref x, (nuint)(j * Lanes));
            high = Vector256.LoadUnsafe(ref x, (nuint)((j * Lanes) + 8));
            lower = Vector256.FusedMultiplyAdd(low, low, lower);
            upper = Vector256.FusedMultiplyAdd(high, high, upper);
        }

        return new Halves(lower, upper);
    }

    /// <summary>Point <paramref name="g"/>'s sixteen lanes of Σ (x − μ)² as two halves, as in <see cref="Difference"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Halves DifferenceHalves(ref float p, ref float mu, ref int nearest, int g, int d, int vectors)
    {
        ref float x = ref Unsafe.Add(ref p, g * d);
        ref float m = ref Unsafe.Add(ref mu, Unsafe.Add(ref nearest, g) * d);
        Vector256<float> low = Vector256.LoadUnsafe(ref x) - Vector256.LoadUnsafe(ref m);
        Vector256<float> high = Vector256.LoadUnsafe(ref x, 8) - Vector256.LoadUnsafe(ref m, 8);
        Vector256<float> lower = Vector256.FusedMultiplyAdd(low, low, Vector256<float>.Zero);
        Vector256<float> upper = Vector256.FusedMultiplyAdd(high, high, Vector256<float>.Zero);
        for (int j = 1; j < vectors; j++)
        {
            nuint at = (nuint)(j * Lanes);
            low = Vector256.LoadUnsafe(ref x, at) - Vector256.LoadUnsafe(ref m, at);
            high = Vector256.LoadUnsafe(ref x, at + 8) - Vector256.LoadUnsafe(ref m, at + 8);
            lower = Vector256.FusedMultiplyAdd(low, low, lower);
            upper = Vector256.FusedMultiplyAdd(high, high, upper);
        }

        return new Halves(lower, upper);
    }

    /// <summary>As <see cref="Pair(Vector512{float}, Vector512{float})"/> on halves: shufps works within 128-bit quarters, so each half is shuffled on its own.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Halves Pair(Halves a, Halves b) => new(
        Avx.Shuffle(a.Lower, b.Lower, 0b10_00_10_00) + Avx.Shuffle(a.Lower, b.Lower, 0b11_01_11_01),
        Avx.Shuffle(a.Upper, b.Upper, 0b10_00_10_00) + Avx.Shuffle(a.Upper, b.Upper, 0b11_01_11_01));

    /// <summary>
    /// As <see cref="Quarters(Vector512{float}, Vector512{float})"/> on halves: a's quarters 0+1 and 2+3 make
    /// the lower half (quarters 0, 1 are a's lower half, 2, 3 its upper), b's the upper.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Halves Quarters(Halves a, Halves b) => new(
        Avx.Permute2x128(a.Lower, a.Upper, 0x20) + Avx.Permute2x128(a.Lower, a.Upper, 0x31),
        Avx.Permute2x128(b.Lower, b.Upper, 0x20) + Avx.Permute2x128(b.Lower, b.Upper, 0x31));

    /// <summary>A Vector512's lanes as two Vector256 halves, on machines without AVX-512.</summary>
    private readonly record struct Halves(Vector256<float> Lower, Vector256<float> Upper)
    {
        /// <summary>Writes the sixteen lanes.</summary>
        public void Store(ref float to)
        {
            Lower.StoreUnsafe(ref to);
            Upper.StoreUnsafe(ref to, 8);
        }
    }

    /// <summary>Point <paramref name="g"/>'s lanes of Σ x², accumulated vector by vector as HardEStep.SquaredNorm does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Norm(ref float p, int g, int d, int vectors)
    {
        ref float x = ref Unsafe.Add(ref p, g * d);
        Vector512<float> v = Vector512.LoadUnsafe(ref x);
        Vector512<float> sum = Vector512.FusedMultiplyAdd(v, v, Vector512<float>.Zero);
        for (int j = 1; j < vectors; j++)
        {
            v = Vector512.LoadUnsafe(ref x, (nuint)(j * Lanes));
            sum = Vector512.FusedMultiplyAdd(v, v, sum);
        }

        return sum;
    }

    /// <summary>Point <paramref name="g"/>'s lanes of Σ (x − μ)², accumulated as HardEStep.SquaredDifference does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Difference(ref float p, ref float mu, ref int nearest, int g, int d, int vectors)
    {
        ref float x = ref Unsafe.Add(ref p, g * d);
        ref float m = ref Unsafe.Add(ref mu, Unsafe.Add(ref nearest, g) * d);
        Vector512<float> diff = Vector512.LoadUnsafe(ref x) - Vector512.LoadUnsafe(ref m);
        Vector512<float> sum = Vector512.FusedMultiplyAdd(diff, diff, Vector512<float>.Zero);
        for (int j = 1; j < vectors; j++)
        {
            diff = Vector512.LoadUnsafe(ref x, (nuint)(j * Lanes)) - Vector512.LoadUnsafe(ref m, (nuint)(j * Lanes));
            sum = Vector512.FusedMultiplyAdd(diff, diff, sum);
        }

        return sum;
    }

    /// <summary>
    /// In each 128-bit quarter, a's lanes 0+1 and 2+3, then b's: the first level of the tree for two
    /// points, or the second for two pairs (then each quarter holds four points' quarter sums).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pair(Vector512<float> a, Vector512<float> b) =>
        Avx512F.Shuffle(a, b, 0b10_00_10_00) + Avx512F.Shuffle(a, b, 0b11_01_11_01);

    /// <summary>Quarters 0+1 and 2+3 of a, then of b: the tree's last two levels, on 128-bit quarters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quarters(Vector512<float> a, Vector512<float> b) =>
        Avx512F.Shuffle4x128(a, b, 0b10_00_10_00) + Avx512F.Shuffle4x128(a, b, 0b11_01_11_01);
}
