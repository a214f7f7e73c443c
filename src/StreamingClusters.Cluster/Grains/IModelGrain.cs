using Orleans.Concurrency;
using StreamingClusters.Cluster.Messages;

namespace StreamingClusters.Cluster.Grains;

/// <summary>
/// One named model (the grain's key is the model's name): the single writer of its M-step, its state
/// persisted after every batch. Every answer to a batch comes after the state that covers it is written.
/// </summary>
public interface IModelGrain : IGrainWithStringKey
{
    /// <summary>Defines the model, or checks that it is defined so already.</summary>
    /// <param name="definition">The model's shape and options.</param>
    /// <returns>The definition in force.</returns>
    /// <exception cref="ArgumentException">The model is defined with other settings (named in the message).</exception>
    Task<ClusterModelDefinition> Define(ClusterModelDefinition definition);

    /// <summary>
    /// Deletes the model: its persisted state is cleared and the grain deactivates; batches of the deleted
    /// incarnation are refused from then on, even once the name is defined again.
    /// </summary>
    /// <returns>True when a model was defined and is deleted; false when none was.</returns>
    Task<bool> Delete();

    /// <summary>Gets the model's definition.</summary>
    /// <returns>The definition, or null when the model is not defined.</returns>
    Task<ClusterModelDefinition?> GetDefinition();

    /// <summary>Takes raw points (while the model is unseeded the grain seeds on the first of them).</summary>
    /// <param name="batch">The points with their producer and sequence number.</param>
    /// <returns>What was done, once persisted.</returns>
    Task<BatchReceipt> AddPoints(PointsBatch batch);

    /// <summary>Applies statistics E-stepped on a silo.</summary>
    /// <param name="batch">The statistics with their producer and sequence number.</param>
    /// <returns>What was done, once persisted.</returns>
    Task<BatchReceipt> ApplyStatistics(StatisticsBatch batch);

    /// <summary>Applies a Gaussian mixture's statistics E-stepped on a silo.</summary>
    /// <param name="batch">The statistics with their producer and sequence number.</param>
    /// <returns>What was done, once persisted.</returns>
    Task<BatchReceipt> ApplyMixtureStatistics(MixtureStatisticsBatch batch);

    /// <summary>Gets the centroids, unless the asker has the version already.</summary>
    /// <param name="knownVersion">The version the asker has, or −1.</param>
    /// <returns>The current version, with its centroids when they differ from the asker's (and the model's scaling when the asker gave −1).</returns>
    Task<CentroidsView> GetCentroids(long knownVersion);

    /// <summary>Gets the model and its accounting.</summary>
    /// <returns>The summary.</returns>
    Task<ModelSummary> GetSummary();

    /// <summary>
    /// Gets the model's definition and progress as last persisted, without its state. Interleaved with a
    /// batch in flight (it does not wait behind the M-step and the write), it answers from what the last
    /// write persisted, never from a model a batch is changing.
    /// </summary>
    /// <returns>The status.</returns>
    /// <exception cref="KeyNotFoundException">The model is not defined (or was deleted).</exception>
    [AlwaysInterleave]
    Task<ModelStatus> GetStatus();
}
