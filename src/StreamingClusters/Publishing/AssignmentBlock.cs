namespace StreamingClusters.Publishing;

/// <summary>
/// The assignments of one mini-batch: each point's nearest (most likely) cluster and its score, the squared
/// distance for k-means or the log-likelihood for a Gaussian mixture, against
/// model version <see cref="Version"/> (the version before the batch's own M-step). For callers that
/// score points (anomaly detection) rather than watch centroids.
/// </summary>
public sealed record AssignmentBlock
{
    /// <summary>Gets the block's number, from 1, without gaps; a gap seen by a subscriber means it fell behind and blocks were dropped for it.</summary>
    public required long Sequence { get; init; }

    /// <summary>Gets the model version the points were assigned against.</summary>
    public required long Version { get; init; }

    /// <summary>Gets the dimension d.</summary>
    public required int Dimensions { get; init; }

    /// <summary>Gets the points, row-major, count × d.</summary>
    public required ReadOnlyMemory<float> Points { get; init; }

    /// <summary>Gets each point's cluster.</summary>
    public required ReadOnlyMemory<int> Clusters { get; init; }

    /// <summary>Gets each point's squared distance to its centroid (k-means); empty for a Gaussian mixture.</summary>
    public required ReadOnlyMemory<float> SquaredDistances { get; init; }

    /// <summary>Gets each point's log-likelihood under the version it was assigned against (a Gaussian mixture); empty for k-means.</summary>
    public ReadOnlyMemory<float> LogLikelihoods { get; init; }

    /// <summary>Gets the number of points.</summary>
    public int Count => Clusters.Length;
}
