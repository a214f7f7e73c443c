using System.Runtime.Intrinsics.X86;

namespace StreamingClusters.EStep;

/// <summary>
/// One immutable model version as the E-step sees it: k centroids of dimension d in single precision,
/// their squared norms ‖μ_c‖² computed once, and a copy laid out for the vectorised kernel
/// (transposed into cache-line-aligned panels, centroids padded to a multiple of the vector width).
/// Built once per version and shared read-only by every E-step shard.
/// </summary>
public sealed class CentroidSet
{
    private readonly float[] _centroids;

    /// <summary>Creates the E-step's view of a model version.</summary>
    /// <param name="centroids">k × d centroid coordinates, row-major.</param>
    /// <param name="clusters">The number of clusters k.</param>
    /// <param name="version">The model version the centroids belong to.</param>
    public CentroidSet(ReadOnlySpan<double> centroids, int clusters, long version = 0)
        : this(centroids, clusters, version, NearestCentroidKernel.LanesFor(clusters))
    {
    }

    /// <summary>Creates the view with the layout of a given kernel path (tests pick each path).</summary>
    /// <param name="centroids">k × d centroid coordinates, row-major.</param>
    /// <param name="clusters">The number of clusters k.</param>
    /// <param name="version">The model version the centroids belong to.</param>
    /// <param name="lanes">16 for the Vector512 path, 8 for Vector256, 1 for the scalar twin only.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal CentroidSet(ReadOnlySpan<double> centroids, int clusters, long version, int lanes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clusters);
        if (centroids.Length == 0 || centroids.Length % clusters != 0)
        {
            throw new ArgumentException($"Expected k × d values for k = {clusters}, got {centroids.Length}.", nameof(centroids));
        }

        Debug.Assert(lanes is 1 or 8 or 16);
        Clusters = clusters;
        Dimensions = centroids.Length / clusters;
        Version = version;
        _centroids = new float[centroids.Length];
        bool within = Narrow(centroids, _centroids);

        // NaN fails the comparison, so a model holding one is not tame either.
        IsTame = Dimensions <= NearestCentroidKernel.MaxTameDimensions && within;
        Lanes = lanes;
        PairsPoints = lanes == 16 && clusters <= 8;
        int d = Dimensions;
        if (PairsPoints)
        {
            // Lane 2m + g of a row holds μ_m[j] for point g of a pair; clusters m ≥ k are padding.
            PaddedClusters = 8;
            Panels = AllocateAligned(d * 16, out int offset);
            PanelOffset = offset;
            for (int c = 0; c < clusters; c++)
            {
                for (int j = 0; j < d; j++)
                {
                    Panels[offset + (j * 16) + (2 * c)] = Panels[offset + (j * 16) + (2 * c) + 1] = _centroids[(c * d) + j];
                }
            }

            Norms = new float[clusters];
            ComputeNorms(_centroids, d, Norms);
            LaneNorms = new float[16];
            LaneNorms.AsSpan().Fill(float.PositiveInfinity);
            for (int c = 0; c < clusters; c++)
            {
                LaneNorms[2 * c] = LaneNorms[(2 * c) + 1] = Norms[c];
            }
        }
        else
        {
            // Tiles of up to four vectors of centroids, each tile's d rows stored together (a panel) so
            // that a tile streams through the cache in order. A tile of width w starting at centroid t
            // begins at t × d and holds μ_{t+c}[j] at j × w + c.
            PaddedClusters = (clusters + lanes - 1) / lanes * lanes;
            Panels = AllocateAligned(PaddedClusters * d, out int offset);
            PanelOffset = offset;
            int tileWidth = 4 * lanes;
            ref float from = ref MemoryMarshal.GetArrayDataReference(_centroids);
            for (int tile = 0; tile < PaddedClusters; tile += tileWidth)
            {
                int width = Math.Min(tileWidth, PaddedClusters - tile);
                int end = Math.Min(tile + width, clusters);
                Span<float> panel = Panels.AsSpan(offset + (tile * d), width * d);
                ref float to = ref MemoryMarshal.GetReference(panel);

                // Blocks of 16 centroids × 16 coordinates are transposed in registers; the centroids and
                // coordinates left over (and every one on machines without AVX-512) one by one.
                int blocked = tile;
                int blockedColumns = 0;
                if (lanes == 16 && Avx512F.IsSupported)
                {
                    blockedColumns = d / 16 * 16;
                    for (; blocked + 16 <= end; blocked += 16)
                    {
                        for (int j = 0; j < blockedColumns; j += 16)
                        {
                            Transpose16(ref Unsafe.Add(ref from, (blocked * d) + j), d, ref Unsafe.Add(ref to, (j * width) + (blocked - tile)), width);
                        }
                    }
                }
                else if (lanes == 8 && Avx.IsSupported)
                {
                    blockedColumns = d / 8 * 8;
                    for (; blocked + 8 <= end; blocked += 8)
                    {
                        for (int j = 0; j < blockedColumns; j += 8)
                        {
                            Transpose8(ref Unsafe.Add(ref from, (blocked * d) + j), d, ref Unsafe.Add(ref to, (j * width) + (blocked - tile)), width);
                        }
                    }
                }

                for (int j = 0; j < d; j++)
                {
                    for (int c = j < blockedColumns ? blocked : tile; c < end; c++)
                    {
                        Unsafe.Add(ref to, (j * width) + (c - tile)) = Unsafe.Add(ref from, (c * d) + j);
                    }
                }
            }

            LaneNorms = new float[PaddedClusters];
            if (lanes >= Vector256<float>.Count && Vector256.IsHardwareAccelerated)
            {
                ComputeLaneNorms(Panels.AsSpan(offset), d, tileWidth, LaneNorms);
            }
            else
            {
                ComputeNorms(_centroids, d, LaneNorms);
            }

            Norms = LaneNorms.AsSpan(0, clusters).ToArray();
            LaneNorms.AsSpan(clusters).Fill(float.PositiveInfinity);
        }
    }

    /// <summary>
    /// Writes the transpose of a 16 × 16 block: row i of the source (16 values from
    /// <paramref name="source"/> + i × <paramref name="sourceStride"/>) becomes column i of the target
    /// (lane i of the 16 values at <paramref name="target"/> + j × <paramref name="targetStride"/>).
    /// Pairs, then pairs of pairs are interleaved within each 128-bit lane, then the lanes are swapped
    /// twice: 64 shuffles for 256 values instead of 256 single loads and stores. Inlined into the
    /// constructor, whose loops get it optimised at once: on its own, this loop-free method would run
    /// its first calls as unoptimised tier-0 code, several times slower than the scalar loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16(ref float source, int sourceStride, ref float target, int targetStride)
    {
        Vector512<float> r0 = Vector512.LoadUnsafe(ref source), r1 = Vector512.LoadUnsafe(ref source, (nuint)sourceStride);
        Vector512<float> r2 = Vector512.LoadUnsafe(ref source, (nuint)(2 * sourceStride)), r3 = Vector512.LoadUnsafe(ref source, (nuint)(3 * sourceStride));
        Vector512<float> r4 = Vector512.LoadUnsafe(ref source, (nuint)(4 * sourceStride)), r5 = Vector512.LoadUnsafe(ref source, (nuint)(5 * sourceStride));
        Vector512<float> r6 = Vector512.LoadUnsafe(ref source, (nuint)(6 * sourceStride)), r7 = Vector512.LoadUnsafe(ref source, (nuint)(7 * sourceStride));
        Vector512<float> r8 = Vector512.LoadUnsafe(ref source, (nuint)(8 * sourceStride)), r9 = Vector512.LoadUnsafe(ref source, (nuint)(9 * sourceStride));
        Vector512<float> r10 = Vector512.LoadUnsafe(ref source, (nuint)(10 * sourceStride)), r11 = Vector512.LoadUnsafe(ref source, (nuint)(11 * sourceStride));
        Vector512<float> r12 = Vector512.LoadUnsafe(ref source, (nuint)(12 * sourceStride)), r13 = Vector512.LoadUnsafe(ref source, (nuint)(13 * sourceStride));
        Vector512<float> r14 = Vector512.LoadUnsafe(ref source, (nuint)(14 * sourceStride)), r15 = Vector512.LoadUnsafe(ref source, (nuint)(15 * sourceStride));

        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1);
        Vector512<float> t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<float> t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5);
        Vector512<float> t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<float> t8 = Avx512F.UnpackLow(r8, r9), t9 = Avx512F.UnpackHigh(r8, r9);
        Vector512<float> t10 = Avx512F.UnpackLow(r10, r11), t11 = Avx512F.UnpackHigh(r10, r11);
        Vector512<float> t12 = Avx512F.UnpackLow(r12, r13), t13 = Avx512F.UnpackHigh(r12, r13);
        Vector512<float> t14 = Avx512F.UnpackLow(r14, r15), t15 = Avx512F.UnpackHigh(r14, r15);

        r0 = Avx512F.Shuffle(t0, t2, 0x44);
        r1 = Avx512F.Shuffle(t0, t2, 0xEE);
        r2 = Avx512F.Shuffle(t1, t3, 0x44);
        r3 = Avx512F.Shuffle(t1, t3, 0xEE);
        r4 = Avx512F.Shuffle(t4, t6, 0x44);
        r5 = Avx512F.Shuffle(t4, t6, 0xEE);
        r6 = Avx512F.Shuffle(t5, t7, 0x44);
        r7 = Avx512F.Shuffle(t5, t7, 0xEE);
        r8 = Avx512F.Shuffle(t8, t10, 0x44);
        r9 = Avx512F.Shuffle(t8, t10, 0xEE);
        r10 = Avx512F.Shuffle(t9, t11, 0x44);
        r11 = Avx512F.Shuffle(t9, t11, 0xEE);
        r12 = Avx512F.Shuffle(t12, t14, 0x44);
        r13 = Avx512F.Shuffle(t12, t14, 0xEE);
        r14 = Avx512F.Shuffle(t13, t15, 0x44);
        r15 = Avx512F.Shuffle(t13, t15, 0xEE);

        t0 = Avx512F.Shuffle4x128(r0, r4, 0x88);
        t1 = Avx512F.Shuffle4x128(r1, r5, 0x88);
        t2 = Avx512F.Shuffle4x128(r2, r6, 0x88);
        t3 = Avx512F.Shuffle4x128(r3, r7, 0x88);
        t4 = Avx512F.Shuffle4x128(r0, r4, 0xDD);
        t5 = Avx512F.Shuffle4x128(r1, r5, 0xDD);
        t6 = Avx512F.Shuffle4x128(r2, r6, 0xDD);
        t7 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
        t8 = Avx512F.Shuffle4x128(r8, r12, 0x88);
        t9 = Avx512F.Shuffle4x128(r9, r13, 0x88);
        t10 = Avx512F.Shuffle4x128(r10, r14, 0x88);
        t11 = Avx512F.Shuffle4x128(r11, r15, 0x88);
        t12 = Avx512F.Shuffle4x128(r8, r12, 0xDD);
        t13 = Avx512F.Shuffle4x128(r9, r13, 0xDD);
        t14 = Avx512F.Shuffle4x128(r10, r14, 0xDD);
        t15 = Avx512F.Shuffle4x128(r11, r15, 0xDD);

        nuint stride = (nuint)targetStride;
        Avx512F.Shuffle4x128(t0, t8, 0x88).StoreUnsafe(ref target);
        Avx512F.Shuffle4x128(t1, t9, 0x88).StoreUnsafe(ref target, stride);
        Avx512F.Shuffle4x128(t2, t10, 0x88).StoreUnsafe(ref target, 2 * stride);
        Avx512F.Shuffle4x128(t3, t11, 0x88).StoreUnsafe(ref target, 3 * stride);
        Avx512F.Shuffle4x128(t4, t12, 0x88).StoreUnsafe(ref target, 4 * stride);
        Avx512F.Shuffle4x128(t5, t13, 0x88).StoreUnsafe(ref target, 5 * stride);
        Avx512F.Shuffle4x128(t6, t14, 0x88).StoreUnsafe(ref target, 6 * stride);
        Avx512F.Shuffle4x128(t7, t15, 0x88).StoreUnsafe(ref target, 7 * stride);
        Avx512F.Shuffle4x128(t0, t8, 0xDD).StoreUnsafe(ref target, 8 * stride);
        Avx512F.Shuffle4x128(t1, t9, 0xDD).StoreUnsafe(ref target, 9 * stride);
        Avx512F.Shuffle4x128(t2, t10, 0xDD).StoreUnsafe(ref target, 10 * stride);
        Avx512F.Shuffle4x128(t3, t11, 0xDD).StoreUnsafe(ref target, 11 * stride);
        Avx512F.Shuffle4x128(t4, t12, 0xDD).StoreUnsafe(ref target, 12 * stride);
        Avx512F.Shuffle4x128(t5, t13, 0xDD).StoreUnsafe(ref target, 13 * stride);
        Avx512F.Shuffle4x128(t6, t14, 0xDD).StoreUnsafe(ref target, 14 * stride);
        Avx512F.Shuffle4x128(t7, t15, 0xDD).StoreUnsafe(ref target, 15 * stride);
    }

    /// <summary>
    /// The Vector256 twin of <see cref="Transpose16"/> for machines without AVX-512: an 8 × 8 block,
    /// pairs then pairs of pairs interleaved within each 128-bit half, then the halves exchanged
    /// (24 shuffles for 64 values).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(ref float source, int sourceStride, ref float target, int targetStride)
    {
        nuint step = (nuint)sourceStride;
        Vector256<float> r0 = Vector256.LoadUnsafe(ref source), r1 = Vector256.LoadUnsafe(ref source, step);
        Vector256<float> r2 = Vector256.LoadUnsafe(ref source, 2 * step), r3 = Vector256.LoadUnsafe(ref source, 3 * step);
        Vector256<float> r4 = Vector256.LoadUnsafe(ref source, 4 * step), r5 = Vector256.LoadUnsafe(ref source, 5 * step);
        Vector256<float> r6 = Vector256.LoadUnsafe(ref source, 6 * step), r7 = Vector256.LoadUnsafe(ref source, 7 * step);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        nuint stride = (nuint)targetStride;
        Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref target);
        Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref target, stride);
        Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref target, 2 * stride);
        Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref target, 3 * stride);
        Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref target, 4 * stride);
        Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref target, 5 * stride);
        Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref target, 6 * stride);
        Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref target, 7 * stride);
    }

    /// <summary>
    /// Rounds the centroids to single precision (to nearest, as a cast does) and tells whether every
    /// rounded value is at most <see cref="NearestCentroidKernel.TameMagnitude"/> in magnitude; NaN is not.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Narrow(ReadOnlySpan<double> from, Span<float> to)
    {
        const float Limit = NearestCentroidKernel.TameMagnitude;
        ref double source = ref MemoryMarshal.GetReference(from);
        ref float target = ref MemoryMarshal.GetReference(to);
        int i = 0;
        bool within = true;
        if (Vector512.IsHardwareAccelerated)
        {
            var limit = Vector512.Create(Limit);
            var allWithin = Vector512<float>.AllBitsSet;
            for (; i <= from.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                Vector512<float> narrowed = Vector512.Narrow(
                    Vector512.LoadUnsafe(ref source, (nuint)i),
                    Vector512.LoadUnsafe(ref source, (nuint)(i + Vector512<double>.Count)));
                narrowed.StoreUnsafe(ref target, (nuint)i);
                allWithin &= Vector512.LessThanOrEqual(Vector512.Abs(narrowed), limit);
            }

            within = Vector512.EqualsAll(allWithin.AsUInt32(), Vector512<uint>.AllBitsSet);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var limit = Vector256.Create(Limit);
            var allWithin = Vector256<float>.AllBitsSet;
            for (; i <= from.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float> narrowed = Vector256.Narrow(
                    Vector256.LoadUnsafe(ref source, (nuint)i),
                    Vector256.LoadUnsafe(ref source, (nuint)(i + Vector256<double>.Count)));
                narrowed.StoreUnsafe(ref target, (nuint)i);
                allWithin &= Vector256.LessThanOrEqual(Vector256.Abs(narrowed), limit);
            }

            within = Vector256.EqualsAll(allWithin.AsUInt32(), Vector256<uint>.AllBitsSet);
        }

        for (; i < from.Length; i++)
        {
            float value = (float)Unsafe.Add(ref source, i);
            Unsafe.Add(ref target, i) = value;
            within &= MathF.Abs(value) <= Limit;
        }

        return within;
    }

    /// <summary>
    /// The norms of every lane of the tiled panels (padding lanes, all zero, get 0), eight centroids at a
    /// time: each lane adds its squares in coordinate order in double precision, as
    /// <see cref="ComputeNorms"/> does one centroid at a time, so the bits are the same. A float's square
    /// is exact in double, so whether the add is fused or not cannot change them either.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ComputeLaneNorms(ReadOnlySpan<float> panels, int d, int tileWidth, Span<float> norms)
    {
        int padded = norms.Length;
        ref float panel = ref MemoryMarshal.GetReference(panels);
        ref float norm = ref MemoryMarshal.GetReference(norms);
        for (int tile = 0; tile < padded; tile += tileWidth)
        {
            int width = Math.Min(tileWidth, padded - tile);
            ref float rows = ref Unsafe.Add(ref panel, tile * d);
            for (int c = 0; c < width; c += Vector256<float>.Count)
            {
                var lower = Vector256<double>.Zero;
                var upper = Vector256<double>.Zero;
                for (int j = 0; j < d; j++)
                {
                    var (l, u) = Vector256.Widen(Vector256.LoadUnsafe(ref rows, (nuint)((j * width) + c)));
                    lower += l * l;
                    upper += u * u;
                }

                Vector256.Narrow(lower, upper).StoreUnsafe(ref norm, (nuint)(tile + c));
            }
        }
    }

    /// <summary>
    /// ‖μ_c‖² = Σ_j μ_c[j]², each added in coordinate order in double precision and then rounded to
    /// single; four centroids at a time, so that their chains of additions overlap (each centroid's own
    /// order, and so its bits, is unchanged).
    /// </summary>
    private static void ComputeNorms(float[] centroids, int d, Span<float> norms)
    {
        int k = centroids.Length / d;
        ref float mu = ref MemoryMarshal.GetArrayDataReference(centroids);
        int c = 0;
        for (; c <= k - 4; c += 4)
        {
            ref float m0 = ref Unsafe.Add(ref mu, c * d);
            ref float m1 = ref Unsafe.Add(ref m0, d);
            ref float m2 = ref Unsafe.Add(ref m1, d);
            ref float m3 = ref Unsafe.Add(ref m2, d);
            double n0 = 0, n1 = 0, n2 = 0, n3 = 0;
            for (int j = 0; j < d; j++)
            {
                double v0 = Unsafe.Add(ref m0, j), v1 = Unsafe.Add(ref m1, j), v2 = Unsafe.Add(ref m2, j), v3 = Unsafe.Add(ref m3, j);
                n0 += v0 * v0;
                n1 += v1 * v1;
                n2 += v2 * v2;
                n3 += v3 * v3;
            }

            norms[c] = (float)n0;
            norms[c + 1] = (float)n1;
            norms[c + 2] = (float)n2;
            norms[c + 3] = (float)n3;
        }

        for (; c < k; c++)
        {
            ReadOnlySpan<float> m = centroids.AsSpan(c * d, d);
            double norm = 0;
            for (int j = 0; j < d; j++)
            {
                norm += (double)m[j] * m[j];
            }

            norms[c] = (float)norm;
        }
    }

    /// <summary>Gets the number of clusters k.</summary>
    public int Clusters { get; }

    /// <summary>Gets the dimension d.</summary>
    public int Dimensions { get; }

    /// <summary>Gets the model version these centroids belong to.</summary>
    public long Version { get; }

    /// <summary>Gets the centroids in single precision, row-major k × d.</summary>
    public ReadOnlySpan<float> Centroids => _centroids;

    /// <summary>Gets centroid <paramref name="cluster"/>.</summary>
    /// <param name="cluster">A cluster index.</param>
    /// <returns>Its d coordinates.</returns>
    public ReadOnlySpan<float> Centroid(int cluster) => _centroids.AsSpan(cluster * Dimensions, Dimensions);

    /// <summary>Gets ‖μ_c‖² for each centroid.</summary>
    internal float[] Norms { get; }

    /// <summary>
    /// Gets the centroids laid out for the vector kernel: tiles of panels (see the constructor), or with
    /// <see cref="PairsPoints"/> one 16-lane row per coordinate, each centroid twice.
    /// </summary>
    internal float[] Panels { get; }

    /// <summary>Gets the index in <see cref="Panels"/> where the layout starts, on a 64-byte boundary.</summary>
    internal int PanelOffset { get; }

    /// <summary>
    /// Gets the norms in the lanes of <see cref="Panels"/>: +∞ in padding lanes, whose score then never wins.
    /// </summary>
    internal float[] LaneNorms { get; }

    /// <summary>Gets k rounded up to a multiple of <see cref="Lanes"/> (8 with <see cref="PairsPoints"/>).</summary>
    internal int PaddedClusters { get; }

    /// <summary>Gets the vector width (in floats) the kernel uses for this k.</summary>
    internal int Lanes { get; }

    /// <summary>
    /// Gets a value indicating whether the Vector512 kernel puts two points in one vector (k ≤ 8), so
    /// that no lane is padding for k = 8.
    /// </summary>
    internal bool PairsPoints { get; }

    /// <summary>
    /// Gets a value indicating whether every coordinate is at most <see cref="NearestCentroidKernel.TameMagnitude"/>
    /// in magnitude (and d is small enough), so that no score of a tame point can overflow or be NaN.
    /// </summary>
    internal bool IsTame { get; }

    /// <summary>
    /// Allocates room for <paramref name="length"/> floats and finds where a cache-line boundary falls,
    /// so that no vector load of the kernel straddles two lines. The array is not pinned: a version
    /// lives for one batch and is built once per batch, and pinned arrays are only reclaimed by full
    /// collections. Should a collection move it, the offset is merely no longer aligned; the kernel
    /// loads without alignment requirements, so the results do not change.
    /// </summary>
    private static unsafe float[] AllocateAligned(int length, out int offset)
    {
        const int Line = 64;
        float[] array = new float[length + (Line / sizeof(float))];
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        offset = (int)((Line - (address % Line)) % Line) / sizeof(float);
        return array;
    }
}
