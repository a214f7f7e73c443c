namespace StreamingClusters.Cluster.Messages;

/// <summary>What a model grain did with a batch.</summary>
public enum BatchOutcome
{
    /// <summary>The batch was applied, and the model version that covers it is persisted.</summary>
    Applied,

    /// <summary>The points were added to the seeding buffer, which is persisted; they are applied when the model seeds.</summary>
    Buffered,

    /// <summary>The producer's batch of this sequence number was applied before: it was dropped and counted.</summary>
    Duplicate,

    /// <summary>The update would have made the model non-finite: the points were refused (counted, not applied).</summary>
    Refused,
}

/// <summary>A model grain's answer to a batch, given once the state that covers it is persisted.</summary>
/// <param name="Outcome">What was done.</param>
/// <param name="Version">The model's version after the batch (0 while unseeded).</param>
/// <param name="Seeded">Whether the model is seeded.</param>
[GenerateSerializer]
[Immutable]
public readonly record struct BatchReceipt(
    [property: Id(0)] BatchOutcome Outcome,
    [property: Id(1)] long Version,
    [property: Id(2)] bool Seeded);
