namespace StreamingClusters.Cluster.Messages;

/// <summary>
/// A statistics batch arrived without its sample: it was sent by a silo of an earlier version, whose
/// batches carried the sample in another field. Such a batch is refused, not applied without the points
/// that reseeds and the repair draw on; a cluster is upgraded across this version with every silo stopped first.
/// </summary>
public sealed class BatchWithoutSampleException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="producer">The producer that sent the batch.</param>
    public BatchWithoutSampleException(string producer)
        : base($"A statistics batch from producer '{producer}' carries no sample: it was sent by a silo of an earlier version, whose batches have another shape. Stop every silo before starting this version.")
    {
        Producer = producer;
    }

    /// <summary>Gets the producer that sent the batch.</summary>
    public string Producer { get; }
}
