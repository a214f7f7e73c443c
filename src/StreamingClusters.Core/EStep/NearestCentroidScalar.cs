namespace StreamingClusters.EStep;

/// <summary>
/// The scalar twin of the vectorised kernels: the same arithmetic in the same order, one point and
/// one centroid at a time. It serves machines without SIMD and is the reference the tests hold the
/// vector paths to.
/// </summary>
internal static class NearestCentroidScalar
{
    /// <summary>Finds the nearest centroid of each point.</summary>
    /// <param name="set">The model version.</param>
    /// <param name="points">count × d values, row-major.</param>
    /// <param name="nearest">Receives each point's cluster index.</param>
    /// <param name="scores">Receives each point's best score.</param>
    public static void FindNearest(CentroidSet set, ReadOnlySpan<float> points, Span<int> nearest, Span<float> scores)
    {
        int d = set.Dimensions;
        int count = points.Length / d;
        ReadOnlySpan<float> centroids = set.Centroids;
        ReadOnlySpan<float> norms = set.Norms;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> x = points.Slice(i * d, d);
            float best = float.PositiveInfinity;
            int bestIndex = 0;
            for (int c = 0; c < set.Clusters; c++)
            {
                ReadOnlySpan<float> mu = centroids.Slice(c * d, d);
                float dot = 0f;
                for (int j = 0; j < d; j++)
                {
                    dot = MathF.FusedMultiplyAdd(x[j], mu[j], dot);
                }

                float score = MathF.FusedMultiplyAdd(-2f, dot, norms[c]);
                if (score < best)
                {
                    best = score;
                    bestIndex = c;
                }
            }

            nearest[i] = bestIndex;
            scores[i] = best;
        }
    }
}
