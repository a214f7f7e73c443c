namespace StreamingClusters.EStep;

/// <summary>
/// The E-step of one model version over one shard of a batch: each point's most likely cluster and
/// its score, and the shard's statistics. A runner calls it once per shard; a struct, so that a runner
/// generic over it compiles to direct calls (no virtual call per shard, none at all per point).
/// </summary>
/// <typeparam name="TStatistics">The model's statistics.</typeparam>
public interface IShardWork<in TStatistics>
{
    /// <summary>Gets the dimension d of the points.</summary>
    int Dimensions { get; }

    /// <summary>Adds the shard's points to <paramref name="statistics"/> (cleared by the runner), in point order.</summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="statistics">The shard's own statistics.</param>
    /// <param name="labels">n slots for each point's most likely cluster.</param>
    /// <param name="scores">n slots for each point's score (for k-means its squared distance).</param>
    void Run(ReadOnlySpan<float> points, TStatistics statistics, Span<int> labels, Span<float> scores);
}
