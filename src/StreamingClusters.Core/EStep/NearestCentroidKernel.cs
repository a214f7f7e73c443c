namespace StreamingClusters.EStep;

/// <summary>
/// Finds each point's nearest centroid by minimising the score ‖μ_c‖² − 2 x·μ_c (the squared distance
/// less ‖x‖², which does not depend on c). Ties go to the lowest index. Every path computes the dot
/// product in the same order, one fused multiply-add per coordinate from j = 0 up, and the score as
/// fma(−2, dot, ‖μ_c‖²), so the vectorised paths and <see cref="NearestCentroidScalar"/> agree bit for bit.
/// </summary>
internal static class NearestCentroidKernel
{
    /// <summary>Gets the vector width (floats) used for <paramref name="clusters"/> centroids.</summary>
    /// <param name="clusters">The number of clusters k.</param>
    /// <returns>16 with Vector512, 8 with Vector256, otherwise 1 (scalar).</returns>
    public static int LanesFor(int clusters)
    {
        if (Vector512.IsHardwareAccelerated && clusters > 8)
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
    public static void FindNearest(CentroidSet set, ReadOnlySpan<float> points, Span<int> nearest, Span<float> scores)
    {
        int d = set.Dimensions;
        int count = points.Length / d;
        Debug.Assert(points.Length == count * d && nearest.Length >= count && scores.Length >= count);
        if (set.Lanes == 16 && Vector512.IsHardwareAccelerated)
        {
            NearestCentroidVector512.FindNearest(set, points, nearest, scores);
        }
        else if (set.Lanes == 8 && Vector256.IsHardwareAccelerated)
        {
            NearestCentroidVector256.FindNearest(set, points, nearest, scores);
        }
        else
        {
            NearestCentroidScalar.FindNearest(set, points, nearest, scores);
        }
    }
}
