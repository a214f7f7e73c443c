namespace StreamingClusters;

/// <summary>How far the model is from its seeding, while it waits to seed.</summary>
/// <param name="Buffered">The points buffered so far.</param>
/// <param name="BufferSize">The points it seeds on once they have come (Seeding:BufferSize); a pause in the input seeds it sooner.</param>
public readonly record struct SeedingProgress(int Buffered, int BufferSize);
