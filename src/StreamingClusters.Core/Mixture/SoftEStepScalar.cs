namespace StreamingClusters.Mixture;

/// <summary>The scalar twin of the soft E-step's kernel, the reference the vector paths are tested against.</summary>
internal static class SoftEStepScalar
{
    /// <summary>Computes l_c(x) for every padded component c of <paramref name="model"/>.</summary>
    /// <param name="model">The version.</param>
    /// <param name="x">One point, d values.</param>
    /// <param name="logDensities">PaddedClusters slots.</param>
    public static void LogDensities(MixtureComponents model, ReadOnlySpan<float> x, Span<float> logDensities)
    {
        int kp = model.PaddedClusters;
        float[] scales = model.Scales;
        float[] scaledMeans = model.ScaledMeans;
        for (int c = 0; c < kp; c++)
        {
            float q = 0;
            for (int j = 0; j < x.Length; j++)
            {
                float u = MathF.FusedMultiplyAdd(x[j], scales[(j * kp) + c], -scaledMeans[(j * kp) + c]);
                q = MathF.FusedMultiplyAdd(u, u, q);
            }

            // One rounding, as the vector kernels' fused −½q + constant.
            logDensities[c] = MathF.FusedMultiplyAdd(-0.5f, q, model.LogConstants[c]);
        }
    }
}
