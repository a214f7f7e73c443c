namespace StreamingClusters.Seeding;

/// <summary>
/// The Vector512 paths of <see cref="SeedDistances"/>: several points' squared distances to one or four
/// candidates at once, from the transposed copy of the points; each lane's arithmetic is the scalar
/// twin's, so the bits are the same.
/// </summary>
internal static class SeedDistancesVector512
{
    /// <summary><see cref="SeedDistances.Lower4"/>'s vector part.</summary>
    /// <returns>The number of points done (a multiple of the vector's lanes).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int Lower4(double[] columns, int n, int d, double[] targets, double[] closest, double[][] lowered)
    {
        ref double x = ref MemoryMarshal.GetArrayDataReference(columns);
        ref double near = ref MemoryMarshal.GetArrayDataReference(closest);
        ref double l0 = ref MemoryMarshal.GetArrayDataReference(lowered[0]);
        ref double l1 = ref MemoryMarshal.GetArrayDataReference(lowered[1]);
        ref double l2 = ref MemoryMarshal.GetArrayDataReference(lowered[2]);
        ref double l3 = ref MemoryMarshal.GetArrayDataReference(lowered[3]);
        ref double c0 = ref MemoryMarshal.GetArrayDataReference(targets);
        ref double c1 = ref Unsafe.Add(ref c0, d);
        ref double c2 = ref Unsafe.Add(ref c0, 2 * d);
        ref double c3 = ref Unsafe.Add(ref c0, 3 * d);
        int i = 0;
        for (; i <= n - 8; i += 8)
        {
            Vector512<double> a0 = Vector512<double>.Zero, a1 = a0, a2 = a0, a3 = a0;
            Vector512<double> b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            Vector512<double> e0 = a0, e1 = a0, e2 = a0, e3 = a0;
            Vector512<double> f0 = a0, f1 = a0, f2 = a0, f3 = a0;
            int j = 0;
            for (; j <= d - 4; j += 4)
            {
                Vector512<double> x0 = Vector512.LoadUnsafe(ref x, (nuint)((j * n) + i));
                Vector512<double> x1 = Vector512.LoadUnsafe(ref x, (nuint)(((j + 1) * n) + i));
                Vector512<double> x2 = Vector512.LoadUnsafe(ref x, (nuint)(((j + 2) * n) + i));
                Vector512<double> x3 = Vector512.LoadUnsafe(ref x, (nuint)(((j + 3) * n) + i));
                Vector512<double> t;
                t = x0 - Vector512.Create(Unsafe.Add(ref c0, j));
                a0 += t * t;
                t = x1 - Vector512.Create(Unsafe.Add(ref c0, j + 1));
                a1 += t * t;
                t = x2 - Vector512.Create(Unsafe.Add(ref c0, j + 2));
                a2 += t * t;
                t = x3 - Vector512.Create(Unsafe.Add(ref c0, j + 3));
                a3 += t * t;
                t = x0 - Vector512.Create(Unsafe.Add(ref c1, j));
                b0 += t * t;
                t = x1 - Vector512.Create(Unsafe.Add(ref c1, j + 1));
                b1 += t * t;
                t = x2 - Vector512.Create(Unsafe.Add(ref c1, j + 2));
                b2 += t * t;
                t = x3 - Vector512.Create(Unsafe.Add(ref c1, j + 3));
                b3 += t * t;
                t = x0 - Vector512.Create(Unsafe.Add(ref c2, j));
                e0 += t * t;
                t = x1 - Vector512.Create(Unsafe.Add(ref c2, j + 1));
                e1 += t * t;
                t = x2 - Vector512.Create(Unsafe.Add(ref c2, j + 2));
                e2 += t * t;
                t = x3 - Vector512.Create(Unsafe.Add(ref c2, j + 3));
                e3 += t * t;
                t = x0 - Vector512.Create(Unsafe.Add(ref c3, j));
                f0 += t * t;
                t = x1 - Vector512.Create(Unsafe.Add(ref c3, j + 1));
                f1 += t * t;
                t = x2 - Vector512.Create(Unsafe.Add(ref c3, j + 2));
                f2 += t * t;
                t = x3 - Vector512.Create(Unsafe.Add(ref c3, j + 3));
                f3 += t * t;
            }

            for (; j < d; j++)
            {
                Vector512<double> xj = Vector512.LoadUnsafe(ref x, (nuint)((j * n) + i));
                Vector512<double> t;
                t = xj - Vector512.Create(Unsafe.Add(ref c0, j));
                a0 += t * t;
                t = xj - Vector512.Create(Unsafe.Add(ref c1, j));
                b0 += t * t;
                t = xj - Vector512.Create(Unsafe.Add(ref c2, j));
                e0 += t * t;
                t = xj - Vector512.Create(Unsafe.Add(ref c3, j));
                f0 += t * t;
            }

            Vector512<double> m = Vector512.LoadUnsafe(ref near, (nuint)i);
            Vector512.Min(m, (a0 + a1) + (a2 + a3)).StoreUnsafe(ref l0, (nuint)i);
            Vector512.Min(m, (b0 + b1) + (b2 + b3)).StoreUnsafe(ref l1, (nuint)i);
            Vector512.Min(m, (e0 + e1) + (e2 + e3)).StoreUnsafe(ref l2, (nuint)i);
            Vector512.Min(m, (f0 + f1) + (f2 + f3)).StoreUnsafe(ref l3, (nuint)i);
        }

        return i;
    }

    /// <returns>The number of points done (a multiple of 8).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int Lower(double[] columns, int n, int d, Span<double> target, ReadOnlySpan<double> closest, Span<double> lowered)
    {
        ref double x = ref MemoryMarshal.GetArrayDataReference(columns);
        ref readonly double near = ref MemoryMarshal.GetReference(closest);
        ref double low = ref MemoryMarshal.GetReference(lowered);
        ref double c = ref MemoryMarshal.GetReference(target);
        int i = 0;
        for (; i <= n - 8; i += 8)
        {
            Vector512<double> s0 = Vector512<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
            int j = 0;
            for (; j <= d - 4; j += 4)
            {
                Vector512<double> d0 = Vector512.LoadUnsafe(ref x, (nuint)((j * n) + i)) - Vector512.Create(Unsafe.Add(ref c, j));
                Vector512<double> d1 = Vector512.LoadUnsafe(ref x, (nuint)(((j + 1) * n) + i)) - Vector512.Create(Unsafe.Add(ref c, j + 1));
                Vector512<double> d2 = Vector512.LoadUnsafe(ref x, (nuint)(((j + 2) * n) + i)) - Vector512.Create(Unsafe.Add(ref c, j + 2));
                Vector512<double> d3 = Vector512.LoadUnsafe(ref x, (nuint)(((j + 3) * n) + i)) - Vector512.Create(Unsafe.Add(ref c, j + 3));
                s0 += d0 * d0;
                s1 += d1 * d1;
                s2 += d2 * d2;
                s3 += d3 * d3;
            }

            for (; j < d; j++)
            {
                Vector512<double> diff = Vector512.LoadUnsafe(ref x, (nuint)((j * n) + i)) - Vector512.Create(Unsafe.Add(ref c, j));
                s0 += diff * diff;
            }

            Vector512<double> distance = (s0 + s1) + (s2 + s3);
            Vector512.Min(Vector512.LoadUnsafe(in near, (nuint)i), distance).StoreUnsafe(ref low, (nuint)i);
        }

        return i;
    }
}
