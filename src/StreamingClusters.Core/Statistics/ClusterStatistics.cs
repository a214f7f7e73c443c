namespace StreamingClusters.Statistics;

/// <summary>
/// The sufficient statistics of a set of hard-assigned points, per cluster c: the count n_c, the sum
/// s_c of the points (double precision) and e_c, the sum of their squared distances to the centroid
/// they were assigned against. Statistics form a commutative monoid under <see cref="Add"/>: shards
/// of a batch, and later separate machines, merge by addition and nothing else.
/// </summary>
public sealed class ClusterStatistics : IShardStatistics<ClusterStatistics>
{
    private readonly long[] _counts;
    private readonly double[] _sums;
    private readonly double[] _squaredErrors;

    /// <summary>Creates empty statistics (the monoid's identity).</summary>
    /// <param name="clusters">The number of clusters k, at least 1.</param>
    /// <param name="dimensions">The dimension d of the points, at least 1.</param>
    public ClusterStatistics(int clusters, int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clusters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        Clusters = clusters;
        Dimensions = dimensions;
        _counts = new long[clusters];
        _sums = new double[checked(clusters * dimensions)];
        _squaredErrors = new double[clusters];
    }

    /// <inheritdoc/>
    public static ClusterStatistics Create(int clusters, int dimensions) => new(clusters, dimensions);

    /// <summary>Gets the number of clusters k.</summary>
    public int Clusters { get; }

    /// <summary>Gets the dimension d.</summary>
    public int Dimensions { get; }

    /// <summary>Gets n_c, the number of points assigned to each cluster.</summary>
    public Span<long> Counts => _counts;

    /// <summary>Gets s_c, the sums of the points of each cluster, row-major k × d.</summary>
    public Span<double> Sums => _sums;

    /// <summary>Gets e_c, each cluster's sum of squared distances (its share of the k-means objective).</summary>
    public Span<double> SquaredErrors => _squaredErrors;

    /// <summary>Gets the number of points summarised.</summary>
    public long TotalCount
    {
        get
        {
            long total = 0;
            foreach (long n in _counts)
            {
                total += n;
            }

            return total;
        }
    }

    /// <summary>Gets the sum of squared distances over all clusters.</summary>
    public double TotalSquaredError
    {
        get
        {
            double total = 0;
            foreach (double e in _squaredErrors)
            {
                total += e;
            }

            return total;
        }
    }

    /// <summary>Gets the sum of point <paramref name="cluster"/>'s points.</summary>
    /// <param name="cluster">The cluster index.</param>
    /// <returns>A span of d values.</returns>
    public Span<double> SumOf(int cluster) => _sums.AsSpan(cluster * Dimensions, Dimensions);

    /// <summary>Adds one point to a cluster's statistics.</summary>
    /// <param name="cluster">The cluster the point was assigned to.</param>
    /// <param name="point">The point, d values.</param>
    /// <param name="squaredDistance">Its squared distance to that cluster's centroid.</param>
    public void AddPoint(int cluster, ReadOnlySpan<float> point, double squaredDistance)
    {
        // Checked in release too: the widening add stores through unchecked refs, so a longer
        // point would write past this cluster's sums (past the array, for the last cluster).
        if (point.Length != Dimensions)
        {
            throw new ArgumentException($"A point of d = {Dimensions} must have {Dimensions} values, got {point.Length}.", nameof(point));
        }

        _counts[cluster]++;
        _squaredErrors[cluster] += squaredDistance;
        AddWidened(point, _sums.AsSpan(cluster * Dimensions, Dimensions));
    }

    /// <summary>Adds <paramref name="other"/> component-wise (the monoid operation).</summary>
    /// <param name="other">Statistics of the same shape.</param>
    public void Add(ClusterStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        EnsureSameShape(other);

        // Element by element, as a loop of scalar additions would: the merged values are the same bits.
        AddInPlace(_counts, other._counts);
        AddInPlace(_squaredErrors, other._squaredErrors);
        AddInPlace(_sums, other._sums);
    }

    /// <summary>
    /// Sets these statistics to <paramref name="other"/>'s: what <see cref="Clear"/> then
    /// <see cref="Add"/> give, bit for bit (a sum that starts from +0 is never −0, and +0 + x is x),
    /// in one pass instead of two.
    /// </summary>
    /// <param name="other">Statistics of the same shape.</param>
    public void CopyFrom(ClusterStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        EnsureSameShape(other);
        other._counts.CopyTo(_counts, 0);
        other._squaredErrors.CopyTo(_squaredErrors, 0);
        other._sums.CopyTo(_sums, 0);
    }

    /// <summary>Resets to the identity (all zero) so the instance can be reused.</summary>
    public void Clear()
    {
        Array.Clear(_counts);
        Array.Clear(_sums);
        Array.Clear(_squaredErrors);
    }

    /// <summary>Copies these statistics.</summary>
    /// <returns>An independent copy.</returns>
    public ClusterStatistics Clone()
    {
        var copy = new ClusterStatistics(Clusters, Dimensions);
        _counts.CopyTo(copy._counts, 0);
        _sums.CopyTo(copy._sums, 0);
        _squaredErrors.CopyTo(copy._squaredErrors, 0);
        return copy;
    }

    /// <summary>Tells whether two statistics hold bit-identical values.</summary>
    /// <param name="other">Statistics to compare with.</param>
    /// <returns><see langword="true"/> when shape and every value are identical.</returns>
    public bool BitwiseEquals(ClusterStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Clusters == other.Clusters
            && Dimensions == other.Dimensions
            && _counts.AsSpan().SequenceEqual(other._counts)
            && MemoryMarshal.AsBytes(_sums.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(other._sums.AsSpan()))
            && MemoryMarshal.AsBytes(_squaredErrors.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(other._squaredErrors.AsSpan()));
    }

    private void EnsureSameShape(ClusterStatistics other)
    {
        if (other.Clusters != Clusters || other.Dimensions != Dimensions)
        {
            throw new ArgumentException(
                $"Statistics of shape (k={other.Clusters}, d={other.Dimensions}) cannot merge into (k={Clusters}, d={Dimensions}).",
                nameof(other));
        }
    }

    /// <summary>
    /// target[i] += source[i] for every i. The model thread merges every shard's statistics each batch,
    /// so this is four vectors per step with no bounds checks (the arrays have the same length, checked
    /// by the shape), then one vector, then the rest one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddInPlace<T>(T[] target, T[] source)
        where T : unmanaged, INumber<T>
    {
        Debug.Assert(target.Length == source.Length);
        ref T to = ref MemoryMarshal.GetArrayDataReference(target);
        ref T from = ref MemoryMarshal.GetArrayDataReference(source);
        int length = target.Length;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            int width = Vector512<T>.Count;
            for (; i <= length - (4 * width); i += 4 * width)
            {
                (Vector512.LoadUnsafe(ref to, (nuint)i) + Vector512.LoadUnsafe(ref from, (nuint)i)).StoreUnsafe(ref to, (nuint)i);
                (Vector512.LoadUnsafe(ref to, (nuint)(i + width)) + Vector512.LoadUnsafe(ref from, (nuint)(i + width))).StoreUnsafe(ref to, (nuint)(i + width));
                (Vector512.LoadUnsafe(ref to, (nuint)(i + (2 * width))) + Vector512.LoadUnsafe(ref from, (nuint)(i + (2 * width)))).StoreUnsafe(ref to, (nuint)(i + (2 * width)));
                (Vector512.LoadUnsafe(ref to, (nuint)(i + (3 * width))) + Vector512.LoadUnsafe(ref from, (nuint)(i + (3 * width)))).StoreUnsafe(ref to, (nuint)(i + (3 * width)));
            }

            for (; i <= length - width; i += width)
            {
                (Vector512.LoadUnsafe(ref to, (nuint)i) + Vector512.LoadUnsafe(ref from, (nuint)i)).StoreUnsafe(ref to, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            int width = Vector256<T>.Count;
            for (; i <= length - width; i += width)
            {
                (Vector256.LoadUnsafe(ref to, (nuint)i) + Vector256.LoadUnsafe(ref from, (nuint)i)).StoreUnsafe(ref to, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref to, i) += Unsafe.Add(ref from, i);
        }
    }

    /// <summary>Adds a point, widened to double, to a cluster's sum: one addition per coordinate.</summary>
    internal static void AddWidened(ReadOnlySpan<float> point, Span<double> sum)
    {
        Debug.Assert(sum.Length >= point.Length);
        AddWidened(ref MemoryMarshal.GetReference(point), ref MemoryMarshal.GetReference(sum), point.Length);
    }

    /// <summary>Adds d values from <paramref name="x"/>, widened to double, to the d values at <paramref name="s"/>.</summary>
    /// <remarks>Inlined into the E-step's per-point loop, where a call per point cost as much as the additions.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void AddWidened(ref float x, ref double s, int d)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + Vector512<float>.Count <= d; j += Vector512<float>.Count)
            {
                var (lower, upper) = Vector512.Widen(Vector512.LoadUnsafe(ref x, (nuint)j));
                (Vector512.LoadUnsafe(ref s, (nuint)j) + lower).StoreUnsafe(ref s, (nuint)j);
                (Vector512.LoadUnsafe(ref s, (nuint)(j + 8)) + upper).StoreUnsafe(ref s, (nuint)(j + 8));
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + Vector256<float>.Count <= d; j += Vector256<float>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref x, (nuint)j));
                (Vector256.LoadUnsafe(ref s, (nuint)j) + lower).StoreUnsafe(ref s, (nuint)j);
                (Vector256.LoadUnsafe(ref s, (nuint)(j + 4)) + upper).StoreUnsafe(ref s, (nuint)(j + 4));
            }
        }

        for (; j < d; j++)
        {
            Unsafe.Add(ref s, j) += Unsafe.Add(ref x, j);
        }
    }
}
