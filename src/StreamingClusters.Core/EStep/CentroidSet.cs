namespace StreamingClusters.EStep;

/// <summary>
/// One immutable model version as the E-step sees it: k centroids of dimension d in single precision,
/// their squared norms ‖μ_c‖² computed once, and a copy laid out for the vectorised kernel
/// (transposed, centroids padded to a multiple of the vector width). Built once per version and
/// shared read-only by every E-step shard.
/// </summary>
public sealed class CentroidSet
{
    private readonly float[] _centroids;

    /// <summary>Creates the E-step's view of a model version.</summary>
    /// <param name="centroids">k × d centroid coordinates, row-major.</param>
    /// <param name="clusters">The number of clusters k.</param>
    /// <param name="version">The model version the centroids belong to.</param>
    public CentroidSet(ReadOnlySpan<double> centroids, int clusters, long version = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clusters);
        if (centroids.Length == 0 || centroids.Length % clusters != 0)
        {
            throw new ArgumentException($"Expected k × d values for k = {clusters}, got {centroids.Length}.", nameof(centroids));
        }

        Clusters = clusters;
        Dimensions = centroids.Length / clusters;
        Version = version;
        _centroids = new float[centroids.Length];
        for (int i = 0; i < centroids.Length; i++)
        {
            _centroids[i] = (float)centroids[i];
        }

        Lanes = NearestCentroidKernel.LanesFor(clusters);
        PaddedClusters = (clusters + Lanes - 1) / Lanes * Lanes;
        Norms = new float[PaddedClusters];
        Transposed = new float[PaddedClusters * Dimensions];
        for (int c = 0; c < clusters; c++)
        {
            ReadOnlySpan<float> mu = _centroids.AsSpan(c * Dimensions, Dimensions);
            double norm = 0;
            for (int j = 0; j < Dimensions; j++)
            {
                norm += (double)mu[j] * mu[j];
                Transposed[(j * PaddedClusters) + c] = mu[j];
            }

            Norms[c] = (float)norm;
        }

        // Padding centroids sit at the origin with an infinite norm: their score is +∞ and never wins.
        Norms.AsSpan(clusters).Fill(float.PositiveInfinity);
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

    /// <summary>Gets ‖μ_c‖² for each centroid, then +∞ for each padding slot.</summary>
    internal float[] Norms { get; }

    /// <summary>Gets the centroids transposed: element [j × PaddedClusters + c] is μ_c[j].</summary>
    internal float[] Transposed { get; }

    /// <summary>Gets k rounded up to a multiple of <see cref="Lanes"/>.</summary>
    internal int PaddedClusters { get; }

    /// <summary>Gets the vector width (in floats) the kernel uses for this k.</summary>
    internal int Lanes { get; }
}
