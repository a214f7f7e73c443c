namespace StreamingClusters.Seeding;

/// <summary>
/// Squared distances for seeding, in double precision with a fixed order of additions (four running
/// sums, then the same pairing), so that every path gives the same bits: the scalar twin of
/// <see cref="SeedDistancesVector512"/> and <see cref="SeedDistancesVector256"/>, and the dispatch between them.
/// </summary>
internal static class SeedDistances
{
    /// <summary>
    /// Sets <c>lowered[i] = min(closest[i], ‖x_i − y‖²)</c> for every point and returns their sum, added
    /// in point order. Each point's distance is <see cref="SquaredDistance(ReadOnlySpan{float}, ReadOnlySpan{float})"/>'s exact arithmetic (four
    /// running sums, then the same pairing), computed for several points at once from the transposed
    /// copy, so that the vector paths and the scalar path give the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double Lower(
        double[] columns, int n, int d, ReadOnlySpan<float> y, ReadOnlySpan<double> closest, Span<double> lowered, Span<double> target)
    {
        Debug.Assert(closest.Length >= n && lowered.Length >= n && columns.Length == n * d && target.Length == d);
        for (int j = 0; j < d; j++)
        {
            target[j] = y[j];
        }

        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            i = SeedDistancesVector512.Lower(columns, n, d, target, closest, lowered);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            i = SeedDistancesVector256.Lower(columns, n, d, target, closest, lowered);
        }

        for (; i < n; i++)
        {
            lowered[i] = Math.Min(closest[i], SquaredDistance(columns, n, d, i, target));
        }

        // In point order: the potential decides between candidates and must not depend on the path.
        double sum = 0;
        foreach (double v in lowered[..n])
        {
            sum += v;
        }

        return sum;
    }

    /// <summary><see cref="SquaredDistance(ReadOnlySpan{float}, ReadOnlySpan{float})"/> of point i, read from the transposed copy (the same values, the same bits).</summary>
    internal static double SquaredDistance(double[] columns, int n, int d, int i, ReadOnlySpan<double> y)
    {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j <= d - 4; j += 4)
        {
            double d0 = columns[(j * n) + i] - y[j];
            double d1 = columns[((j + 1) * n) + i] - y[j + 1];
            double d2 = columns[((j + 2) * n) + i] - y[j + 2];
            double d3 = columns[((j + 3) * n) + i] - y[j + 3];
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }

        for (; j < d; j++)
        {
            double diff = columns[(j * n) + i] - y[j];
            s0 += diff * diff;
        }

        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>
    /// <see cref="Lower"/> for four candidates at once (Vector512, or Vector256): each group of points
    /// is loaded once for the four, and the four potentials are summed side by side (each in point
    /// order, so one addition does not wait for the last). Each candidate's arithmetic is exactly the
    /// one-candidate path's: the same bits.
    /// </summary>
    /// <param name="columns">The points, transposed (see <see cref="Transpose"/>).</param>
    /// <param name="n">The number of points.</param>
    /// <param name="d">The dimension.</param>
    /// <param name="targets">The four candidates, d values each, widened to double.</param>
    /// <param name="closest">Each point's squared distance to its closest seed so far.</param>
    /// <param name="lowered">Four arrays for the candidates' lowered distances.</param>
    /// <param name="sums">The four potentials.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Lower4(double[] columns, int n, int d, double[] targets, double[] closest, double[][] lowered, Span<double> sums)
    {
        int i = Vector512.IsHardwareAccelerated
            ? SeedDistancesVector512.Lower4(columns, n, d, targets, closest, lowered)
            : SeedDistancesVector256.Lower4(columns, n, d, targets, closest, lowered);
        ref double l0 = ref MemoryMarshal.GetArrayDataReference(lowered[0]);
        ref double l1 = ref MemoryMarshal.GetArrayDataReference(lowered[1]);
        ref double l2 = ref MemoryMarshal.GetArrayDataReference(lowered[2]);
        ref double l3 = ref MemoryMarshal.GetArrayDataReference(lowered[3]);
        for (; i < n; i++)
        {
            Unsafe.Add(ref l0, i) = Math.Min(closest[i], SquaredDistance(columns, n, d, i, targets.AsSpan(0, d)));
            Unsafe.Add(ref l1, i) = Math.Min(closest[i], SquaredDistance(columns, n, d, i, targets.AsSpan(d, d)));
            Unsafe.Add(ref l2, i) = Math.Min(closest[i], SquaredDistance(columns, n, d, i, targets.AsSpan(2 * d, d)));
            Unsafe.Add(ref l3, i) = Math.Min(closest[i], SquaredDistance(columns, n, d, i, targets.AsSpan(3 * d, d)));
        }

        // Each potential in point order, as LowerDistances adds it.
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int p = 0; p < n; p++)
        {
            s0 += Unsafe.Add(ref l0, p);
            s1 += Unsafe.Add(ref l1, p);
            s2 += Unsafe.Add(ref l2, p);
            s3 += Unsafe.Add(ref l3, p);
        }

        sums[0] = s0;
        sums[1] = s1;
        sums[2] = s2;
        sums[3] = s3;
    }

    /// <summary>Coordinate j of point i at j × n + i, widened to double (exact), so a vector holds one coordinate of several points.</summary>
    internal static double[] Transpose(ReadOnlySpan<float> points, int n, int d)
    {
        var columns = new double[n * d];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++)
            {
                columns[(j * n) + i] = points[(i * d) + j];
            }
        }

        return columns;
    }

    /// <summary>‖x − y‖² in double precision, four running sums (the order every path keeps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double SquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        Debug.Assert(x.Length == y.Length);
        y = y[..x.Length];

        // Four running sums (coordinates j mod 4) so that the additions overlap instead of each
        // waiting for the last; the order is fixed, so every machine gets the same bits.
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j <= x.Length - 4; j += 4)
        {
            double d0 = (double)x[j] - y[j];
            double d1 = (double)x[j + 1] - y[j + 1];
            double d2 = (double)x[j + 2] - y[j + 2];
            double d3 = (double)x[j + 3] - y[j + 3];
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }

        for (; j < x.Length; j++)
        {
            double diff = (double)x[j] - y[j];
            s0 += diff * diff;
        }

        return (s0 + s1) + (s2 + s3);
    }
}
