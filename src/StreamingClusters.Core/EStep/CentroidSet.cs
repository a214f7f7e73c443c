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
        System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<double, float>(centroids, _centroids);
        float largest = MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude<float>(_centroids));

        // NaN fails the comparison, so a model holding one is not tame either.
        IsTame = Dimensions <= NearestCentroidKernel.MaxTameDimensions && largest <= NearestCentroidKernel.TameMagnitude;
        Lanes = lanes;
        PairsPoints = lanes == 16 && clusters <= 8;
        int d = Dimensions;
        if (PairsPoints)
        {
            // Lane 2m + g of a row holds μ_m[j] for point g of a pair; clusters m ≥ k are padding.
            PaddedClusters = 8;
            Panels = AllocateAligned(d * 16, out int offset);
            PanelOffset = offset;
            LaneNorms = new float[16];
            LaneNorms.AsSpan().Fill(float.PositiveInfinity);
            for (int c = 0; c < clusters; c++)
            {
                for (int j = 0; j < d; j++)
                {
                    Panels[offset + (j * 16) + (2 * c)] = Panels[offset + (j * 16) + (2 * c) + 1] = _centroids[(c * d) + j];
                }
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
            LaneNorms = new float[PaddedClusters];
            LaneNorms.AsSpan().Fill(float.PositiveInfinity);
            int tileWidth = 4 * lanes;
            ref float from = ref MemoryMarshal.GetArrayDataReference(_centroids);
            for (int tile = 0; tile < PaddedClusters; tile += tileWidth)
            {
                int width = Math.Min(tileWidth, PaddedClusters - tile);
                int end = Math.Min(tile + width, clusters);
                Span<float> panel = Panels.AsSpan(offset + (tile * d), width * d);
                ref float to = ref MemoryMarshal.GetReference(panel);
                for (int j = 0; j < d; j++)
                {
                    for (int c = tile; c < end; c++)
                    {
                        Unsafe.Add(ref to, (j * width) + (c - tile)) = Unsafe.Add(ref from, (c * d) + j);
                    }
                }
            }
        }

        Norms = new float[clusters];
        ComputeNorms(_centroids, d, Norms);
        for (int c = 0; c < clusters; c++)
        {
            if (PairsPoints)
            {
                LaneNorms[2 * c] = LaneNorms[(2 * c) + 1] = Norms[c];
            }
            else
            {
                LaneNorms[c] = Norms[c];
            }
        }
    }

    /// <summary>
    /// ‖μ_c‖² = Σ_j μ_c[j]², each added in coordinate order in double precision and then rounded to
    /// single; four centroids at a time, so that their chains of additions overlap (each centroid's own
    /// order, and so its bits, is unchanged).
    /// </summary>
    private static void ComputeNorms(float[] centroids, int d, float[] norms)
    {
        int k = norms.Length;
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
