namespace StreamingClusters;

/// <summary>
/// Scores points against the latest model: for k-means the nearest cluster and the squared distance; for a
/// Gaussian mixture the most likely component, its responsibility and the point's log-likelihood.
/// </summary>
public interface IClusterScorer
{
    /// <summary>Gets what <see cref="Score(ReadOnlySpan{float}, Span{int}, Span{float})"/>'s scores are: squared distances (k-means) or log-likelihoods (a mixture).</summary>
    Model.ScoreKind ScoreKind => Model.ScoreKind.SquaredDistance;

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

    /// <summary>
    /// Scores each point against the latest model: its most likely cluster, that cluster's responsibility
    /// p(t = c | x) (1 for k-means), and its score (<see cref="ScoreKind"/>: for a mixture the log-likelihood
    /// log p(x) in nats, whose negative is an anomaly score).
    /// </summary>
    /// <param name="points">count × d values in the input's units, row-major.</param>
    /// <param name="clusters">count slots for each point's most likely cluster.</param>
    /// <param name="scores">count slots for each point's score.</param>
    /// <param name="responsibilities">count slots for the responsibility of each point's most likely cluster.</param>
    /// <returns>The model version used.</returns>
    /// <exception cref="InvalidOperationException">The model is not seeded yet.</exception>
    long Score(ReadOnlySpan<float> points, Span<int> clusters, Span<float> scores, Span<float> responsibilities)
    {
        long version = Score(points, clusters, scores);
        responsibilities[..Math.Min(responsibilities.Length, clusters.Length)].Fill(1);
        return version;
    }
}
