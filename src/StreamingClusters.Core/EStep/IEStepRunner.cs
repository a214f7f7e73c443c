using StreamingClusters.Statistics;

namespace StreamingClusters.EStep;

/// <summary>
/// Runs a batch's E-step shard by shard and merges the shards' statistics in shard order, so that the
/// result does not depend on how (or on how many threads) the shards were computed. Serial
/// (<see cref="SerialEStep{TWork, TStatistics}"/>) or parallel; a model takes whichever it is given.
/// </summary>
/// <typeparam name="TWork">The model's shard work.</typeparam>
/// <typeparam name="TStatistics">The model's statistics.</typeparam>
public interface IEStepRunner<TWork, TStatistics>
    where TWork : struct, IShardWork<TStatistics>
    where TStatistics : class, IShardStatistics<TStatistics>
{
    /// <summary>Gets the largest batch the runner takes.</summary>
    int MaxBatch { get; }

    /// <summary>Gets each point's label in the last batch (the first count entries are valid).</summary>
    int[] Labels { get; }

    /// <summary>Gets each point's score in the last batch (the first count entries are valid).</summary>
    float[] Scores { get; }

    /// <summary>Runs the E-step of the first <paramref name="count"/> points of <paramref name="points"/>.</summary>
    /// <param name="work">The shard work, against one model version.</param>
    /// <param name="points">The batch buffer, row-major.</param>
    /// <param name="count">The number of points in it, at most <see cref="MaxBatch"/>.</param>
    /// <param name="meanwhile">
    /// Work of the caller's that touches neither the batch nor the model's next version, run on the
    /// caller's thread exactly once before this returns (a parallel runner runs it while it would
    /// otherwise wait for another thread's shard).
    /// </param>
    /// <returns>The merged statistics, owned by the runner until the next run.</returns>
    TStatistics Run(TWork work, float[] points, int count, Action? meanwhile = null);

    /// <summary>Stops any threads of the runner's; a later run starts them again.</summary>
    void Stop();
}
