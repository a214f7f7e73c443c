using System.ComponentModel.DataAnnotations;

namespace StreamingClusters.Options;

/// <summary>How the first centroids are chosen: greedy k-means++ on a buffer of the first points, refined by Lloyd, the best of <see cref="Starts"/>, then breathing k-means.</summary>
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
    /// Gets or sets the number of k-means starts (k-means++ then Lloyd) made on the buffer; the one of least
    /// objective on the buffer is kept, as batch k-means' <c>n_init</c> does. The k-means model's only (the
    /// mixture has <see cref="MixtureModelOptions.SeedingStarts"/>). Each start costs what one seeding did.
    /// </summary>
    /// <value>The default value is 1 (breathing does more for less: see <see cref="Breaths"/>).</value>
    [Range(1, 100)]
    public int Starts { get; set; } = 1;

    /// <summary>
    /// Gets or sets the most breathing k-means breaths tried on the kept start before the stream begins
    /// (Fritzke's breathing k-means: five centroids breathed in beside those of largest error, five of least
    /// utility breathed out, Lloyd after each, kept if the buffer's objective drops; one fewer in and out after
    /// each breath that does not pay, so it usually stops after 5–8 breaths); 0 for none. The k-means model's only.
    /// </summary>
    /// <value>
    /// The default value is 20. On Fashion-MNIST (k = 10) every seed's start then lies in the basin of an
    /// optimum 0.5 % below batch k-means' best of three; seeding costs up to 40 Lloyd runs on the buffer more
    /// (1.5–3× one start's time: 1.5 s of CPU instead of 0.5 s there, 0.04 s instead of 0.02 s at d = 16, k = 64).
    /// </value>
    [Range(0, 1000)]
    public int Breaths { get; set; } = 20;

    /// <summary>
    /// Gets or sets how long a pause in the input seeds the model on a part-filled buffer (a stream shorter
    /// than <see cref="BufferSize"/>, or one that has sent all it has for now), if it holds at least k
    /// distinct points; zero waits for the full buffer or the end of the input.
    /// </summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
