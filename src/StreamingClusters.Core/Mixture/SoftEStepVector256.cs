namespace StreamingClusters.Mixture;

/// <summary>
/// The soft E-step's kernel on 8-lane vectors: for one point, the log-densities of eight components per
/// vector, four vectors (32 components) at a time so that each broadcast coordinate is used four times;
/// two fused multiply-adds per coordinate and component: u = x·s − μs, q += u².
/// </summary>
internal static class SoftEStepVector256
{
    /// <summary>Computes l_c(x) for every padded component c of <paramref name="model"/> (laid out for 8 lanes).</summary>
    /// <param name="model">The version.</param>
    /// <param name="x">One point, d values.</param>
    /// <param name="logDensities">PaddedClusters slots.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LogDensities(MixtureComponents model, ReadOnlySpan<float> x, Span<float> logDensities)
    {
        Debug.Assert(model.Lanes == 8 && logDensities.Length >= model.PaddedClusters);
        const int W = 8;
        int kp = model.PaddedClusters;
        int d = x.Length;
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float s = ref MemoryMarshal.GetArrayDataReference(model.Scales);
        ref float m = ref MemoryMarshal.GetArrayDataReference(model.ScaledMeans);
        ref float constants = ref MemoryMarshal.GetArrayDataReference(model.LogConstants);
        ref float l = ref MemoryMarshal.GetReference(logDensities);
        var half = Vector256.Create(0.5f);
        int c = 0;
        for (; c <= kp - (4 * W); c += 4 * W)
        {
            Vector256<float> q0 = Vector256<float>.Zero, q1 = q0, q2 = q0, q3 = q0;
            for (int j = 0; j < d; j++)
            {
                var xj = Vector256.Create(Unsafe.Add(ref xs, j));
                nuint at = (nuint)((j * kp) + c);
                Vector256<float> u0 = Vector256.FusedMultiplyAdd(xj, Vector256.LoadUnsafe(ref s, at), -Vector256.LoadUnsafe(ref m, at));
                Vector256<float> u1 = Vector256.FusedMultiplyAdd(xj, Vector256.LoadUnsafe(ref s, at + W), -Vector256.LoadUnsafe(ref m, at + W));
                Vector256<float> u2 = Vector256.FusedMultiplyAdd(xj, Vector256.LoadUnsafe(ref s, at + (2 * W)), -Vector256.LoadUnsafe(ref m, at + (2 * W)));
                Vector256<float> u3 = Vector256.FusedMultiplyAdd(xj, Vector256.LoadUnsafe(ref s, at + (3 * W)), -Vector256.LoadUnsafe(ref m, at + (3 * W)));
                q0 = Vector256.FusedMultiplyAdd(u0, u0, q0);
                q1 = Vector256.FusedMultiplyAdd(u1, u1, q1);
                q2 = Vector256.FusedMultiplyAdd(u2, u2, q2);
                q3 = Vector256.FusedMultiplyAdd(u3, u3, q3);
            }

            Vector256.FusedMultiplyAdd(-half, q0, Vector256.LoadUnsafe(ref constants, (nuint)c)).StoreUnsafe(ref l, (nuint)c);
            Vector256.FusedMultiplyAdd(-half, q1, Vector256.LoadUnsafe(ref constants, (nuint)(c + W))).StoreUnsafe(ref l, (nuint)(c + W));
            Vector256.FusedMultiplyAdd(-half, q2, Vector256.LoadUnsafe(ref constants, (nuint)(c + (2 * W)))).StoreUnsafe(ref l, (nuint)(c + (2 * W)));
            Vector256.FusedMultiplyAdd(-half, q3, Vector256.LoadUnsafe(ref constants, (nuint)(c + (3 * W)))).StoreUnsafe(ref l, (nuint)(c + (3 * W)));
        }

        for (; c < kp; c += W)
        {
            Vector256<float> q = Vector256<float>.Zero;
            for (int j = 0; j < d; j++)
            {
                var xj = Vector256.Create(Unsafe.Add(ref xs, j));
                nuint at = (nuint)((j * kp) + c);
                Vector256<float> u = Vector256.FusedMultiplyAdd(xj, Vector256.LoadUnsafe(ref s, at), -Vector256.LoadUnsafe(ref m, at));
                q = Vector256.FusedMultiplyAdd(u, u, q);
            }

            Vector256.FusedMultiplyAdd(-half, q, Vector256.LoadUnsafe(ref constants, (nuint)c)).StoreUnsafe(ref l, (nuint)c);
        }
    }

    /// <summary>
    /// Over the log-densities of every padded component (a multiple of 8; padding is −∞): the first
    /// component of the largest, and, unless that is at most <paramref name="far"/>, exp(l − max) in place
    /// and its sum. One pass for the maximum, one for the exponentials, no call per point.
    /// </summary>
    /// <param name="l">The log-densities, PaddedClusters of them.</param>
    /// <param name="kp">PaddedClusters.</param>
    /// <param name="far">The log-density below which the caller takes the point in double precision.</param>
    /// <returns>The most likely component, its log-density and Σ exp(l − max).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (int Label, float Max, float Sum) Normalise(Span<float> l, int kp, float far)
    {
        const int W = 8;
        ref float lr = ref MemoryMarshal.GetReference(l);
        Vector256<float> top = Vector256.LoadUnsafe(ref lr);
        for (int c = W; c < kp; c += W)
        {
            top = Vector256.Max(top, Vector256.LoadUnsafe(ref lr, (nuint)c));
        }

        float max = MaxOf(Vector128.Max(top.GetLower(), top.GetUpper()));

        // The first lane equal to the maximum; a NaN maximum matches nothing and leaves label 0.
        int label = 0;
        var wanted = Vector256.Create(max);
        for (int c = 0; c < kp; c += W)
        {
            uint hits = Vector256.Equals(Vector256.LoadUnsafe(ref lr, (nuint)c), wanted).ExtractMostSignificantBits();
            if (hits != 0)
            {
                label = c + BitOperations.TrailingZeroCount(hits);
                break;
            }
        }

        if (!(max > far))
        {
            return (label, max, 0);
        }

        // As if on 16 lanes: component c adds into lane c mod 16 (the lower accumulator holds lanes 0-7, the
        // upper 8-15; a missing upper half past kp adds nothing, as the −∞ padding of a 16-lane layout adds
        // exp(−∞) = 0), and the lanes meet in SoftEStep.SumLanes's fixed tree, so that the bits are the
        // Vector512 path's.
        Vector256<float> lower = Vector256<float>.Zero;
        Vector256<float> upper = Vector256<float>.Zero;
        for (int c = 0; c < kp; c += 2 * W)
        {
            Vector256<float> e = Vector256.Exp(Vector256.LoadUnsafe(ref lr, (nuint)c) - wanted);
            e.StoreUnsafe(ref lr, (nuint)c);
            lower += e;
            if (c + W < kp)
            {
                e = Vector256.Exp(Vector256.LoadUnsafe(ref lr, (nuint)(c + W)) - wanted);
                e.StoreUnsafe(ref lr, (nuint)(c + W));
                upper += e;
            }
        }

        return (label, max, SoftEStep.SumLanes(lower.GetLower(), lower.GetUpper(), upper.GetLower(), upper.GetUpper()));
    }

    private static float MaxOf(Vector128<float> v) =>
        MathF.Max(MathF.Max(v.GetElement(0), v.GetElement(1)), MathF.Max(v.GetElement(2), v.GetElement(3)));
}
