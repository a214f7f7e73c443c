namespace StreamingClusters;

/// <summary>Scores points against the latest model: nearest cluster and squared distance.</summary>
public interface IClusterScorer
{
    /// <summary>Gets the latest model version, or −1 before the model is seeded.</summary>
    long Version { get; }

    /// <summary>Assigns each point to its nearest centroid in the latest model.</summary>
    /// <param name="points">count × d values in the input's units, row-major.</param>
    /// <param name="clusters">count slots for each point's cluster.</param>
    /// <param name="squaredDistances">
    /// count slots for each point's squared distance, in the space the model assigns in: the input's
    /// units, or standardised columns when <c>StreamingClusters:Scaling</c> is <c>standardize</c>.
    /// </param>
    /// <returns>The model version used.</returns>
    /// <exception cref="InvalidOperationException">The model is not seeded yet.</exception>
    long Score(ReadOnlySpan<float> points, Span<int> clusters, Span<float> squaredDistances);
}
