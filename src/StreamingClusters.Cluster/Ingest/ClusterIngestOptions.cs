namespace StreamingClusters.Cluster.Ingest;

/// <summary>How a silo's ingest feeds the model grains.</summary>
public sealed class ClusterIngestOptions
{
    /// <summary>
    /// Gets or sets how long a silo E-steps against the centroids it holds before it asks the model
    /// grain whether the version moved (it also asks whenever an answer of the grain's shows a newer
    /// version). Zero asks before every block: every block is then assigned against the version current
    /// when it arrived, as in a single process, at the cost of one small call per block.
    /// </summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan CentroidRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets how long a silo goes on resending a batch the model grain did not answer (its silo
    /// died, the call timed out) before the posts it covers fail unacknowledged.
    /// </summary>
    /// <value>The default value is 60 seconds.</value>
    public TimeSpan SendDeadline { get; set; } = TimeSpan.FromSeconds(60);
}
