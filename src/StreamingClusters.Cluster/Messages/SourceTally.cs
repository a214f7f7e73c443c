namespace StreamingClusters.Cluster.Messages;

/// <summary>One source's share of a batch: its valid points in the batch, and the records and points a silo rejected from it.</summary>
/// <param name="Source">The source's name (<c>http</c>, a broker's name).</param>
/// <param name="Points">Its points the batch carries (raw, or summarised by the statistics).</param>
/// <param name="Rejected">Its records and points the silo rejected since its previous batch.</param>
[GenerateSerializer]
[Immutable]
public readonly record struct SourceTally(
    [property: Id(0)] string Source,
    [property: Id(1)] long Points,
    [property: Id(2)] long Rejected);
