using StreamingClusters.MStep;

namespace StreamingClusters.Model;

/// <summary>How a streaming model treats the stream, beyond its shape (<see cref="ModelSettings"/>).</summary>
public sealed record StreamingModelOptions
{
    /// <summary>Gets the number of points buffered before the model is seeded on them.</summary>
    /// <value>The default value is 8192.</value>
    public int SeedingBufferSize { get; init; } = 8192;

    /// <summary>Gets how fast old points fade.</summary>
    /// <value>The default value is <see cref="HalfLife.None"/>.</value>
    public HalfLife HalfLife { get; init; } = HalfLife.None;

    /// <summary>Gets the most threads seeding may use (the seeds do not depend on it).</summary>
    /// <value>The default value is 1.</value>
    public int SeedingParallelism { get; init; } = 1;

    /// <summary>
    /// Gets a value indicating whether every point has passed a check that bounds it within the
    /// E-step kernels' range, so the E-step need not check again.
    /// </summary>
    /// <value>The default value is false.</value>
    public bool PointsBounded { get; init; }
}
