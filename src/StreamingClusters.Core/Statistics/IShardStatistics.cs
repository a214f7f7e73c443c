namespace StreamingClusters.Statistics;

/// <summary>
/// A model's sufficient statistics of a set of points, as one E-step shard accumulates them: a
/// commutative monoid (shards of one batch, and later other machines, merge by addition), reused
/// from batch to batch.
/// </summary>
/// <typeparam name="TSelf">The statistics type itself.</typeparam>
public interface IShardStatistics<TSelf>
    where TSelf : class, IShardStatistics<TSelf>
{
    /// <summary>Gets the points whose most likely cluster was each cluster (the hard counts).</summary>
    Span<long> Counts { get; }

    /// <summary>Gets the number of points added.</summary>
    long TotalCount { get; }

    /// <summary>Creates empty statistics (the identity) for a model of k clusters in d dimensions.</summary>
    /// <param name="clusters">k.</param>
    /// <param name="dimensions">d.</param>
    /// <returns>The statistics.</returns>
    static abstract TSelf Create(int clusters, int dimensions);

    /// <summary>Resets to the identity.</summary>
    void Clear();

    /// <summary>Sets these statistics to <paramref name="other"/>'s: the bits of <see cref="Clear"/> then <see cref="Add"/>.</summary>
    /// <param name="other">Statistics of the same shape.</param>
    void CopyFrom(TSelf other);

    /// <summary>Adds <paramref name="other"/> element by element.</summary>
    /// <param name="other">Statistics of the same shape.</param>
    void Add(TSelf other);
}
