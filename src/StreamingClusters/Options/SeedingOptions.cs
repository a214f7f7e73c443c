using System.ComponentModel.DataAnnotations;

namespace StreamingClusters.Options;

/// <summary>How the first centroids are chosen: greedy k-means++ on a buffer of the first points, refined by Lloyd.</summary>
public sealed class SeedingOptions
{
    /// <summary>Gets or sets the number of first points buffered for seeding (then applied like any batch).</summary>
    /// <value>The default value is 8192.</value>
    [Range(1, 16_777_216)]
    public int BufferSize { get; set; } = 8192;

    /// <summary>
    /// Gets or sets the k-means++ candidates per pick (greedy seeding keeps the best); 0 means 2 + ⌊ln k⌋.
    /// More candidates cost seeding time and keep two seeds from sharing one blob.
    /// </summary>
    /// <value>The default value is 24.</value>
    [Range(0, 1000)]
    public int Candidates { get; set; } = 24;

    /// <summary>Gets or sets the Lloyd iterations that refine the seeds on the buffer.</summary>
    /// <value>The default value is 20.</value>
    [Range(0, 10_000)]
    public int RefineIterations { get; set; } = 20;

    /// <summary>
    /// Gets or sets how long a pause in the input seeds the model on a part-filled buffer (a stream shorter
    /// than <see cref="BufferSize"/>, or one that has sent all it has for now), if it holds at least k
    /// distinct points; zero waits for the full buffer or the end of the input.
    /// </summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
