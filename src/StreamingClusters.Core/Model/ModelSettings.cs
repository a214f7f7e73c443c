namespace StreamingClusters.Model;

/// <summary>The shape of a model and the choices that make a run reproducible.</summary>
/// <param name="Clusters">The number of clusters k, at least 1.</param>
/// <param name="Dimensions">The dimension d of the points, at least 1.</param>
public sealed record ModelSettings(int Clusters, int Dimensions)
{
    /// <summary>Gets the seed of the run's random generator (seeding and reseeding).</summary>
    /// <value>The default value is 0.</value>
    public ulong Seed { get; init; }

    /// <summary>
    /// Gets the fraction of the largest cluster weight below which a cluster counts as starved and is
    /// reseeded from a recent point; 0 turns reseeding off.
    /// </summary>
    /// <value>The default value is 0.01.</value>
    public double ReseedRatio { get; init; } = 0.01;

    /// <summary>
    /// Gets a value indicating whether the model repairs local optima while it runs: after each M-step
    /// it may merge the two clusters that cost least to merge (or drop one whose points have stopped
    /// arriving) and split a new one off where a group is arriving or beside the cluster of largest error.
    /// </summary>
    /// <value>The default value is false (the library's option turns it on).</value>
    public bool Repair { get; init; }

    /// <summary>
    /// Gets how often the repair may look for the cheapest merge: at a version divisible by this, when an
    /// arriving group or the largest error could beat half the last look's least cost, and at every 16th
    /// such version regardless. A group worth the whole last least cost is looked at in any version.
    /// </summary>
    /// <value>The default value is 4 (with batches of 1,024 points, every 4,096 points; a look costs k² d flops).</value>
    public int RepairEvery { get; init; } = 4;

    /// <summary>Gets the number of model versions the clusters next to a repair's move are held still.</summary>
    /// <value>The default value is 16.</value>
    public int RepairHold { get; init; } = 16;

    /// <summary>Gets the number of k-means++ candidates per pick; 0 means 2 + ⌊ln k⌋.</summary>
    /// <value>
    /// The default value is 24. Seeding sees only the start-up buffer (a hundred-odd points per
    /// cluster), and a split or missed cluster there is never undone by the stream. With 2 + ⌊ln k⌋
    /// candidates, k = 64 blobs of unequal spread seeded from 8,192 points ended more than 2 % above
    /// batch Lloyd in 8 of 18 seeded runs; with 24 in none of 21. Seeding costs k × candidates × buffer × d.
    /// </value>
    public int SeedingCandidates { get; init; } = 24;

    /// <summary>Gets the number of Lloyd iterations that refine the seeds on the start-up buffer.</summary>
    /// <value>The default value is 20.</value>
    public int RefineIterations { get; init; } = 20;

    /// <summary>
    /// Gets the number of starts (k-means++ then Lloyd) made on the start-up buffer; the one of least
    /// objective on the buffer is kept (batch k-means' n_init). The k-means model's only: the mixture makes
    /// its own starts.
    /// </summary>
    /// <value>
    /// The default value is 1. On Fashion-MNIST (k = 10, 10 seeds) 3 starts left the streamed objective's
    /// mean 0.5 % above batch k-means' best of three (1 start: 0.5 %) at three times the cost; breathing
    /// (<see cref="SeedingBreaths"/>) brought it 0.5 % below for less.
    /// </value>
    public int SeedingStarts { get; init; } = 1;

    /// <summary>
    /// Gets the most breathing k-means breaths (Fritzke, arXiv 2006.15666) tried on the kept start before
    /// the stream begins: <see cref="BreathingDepth"/> centroids breathed in beside those of largest error,
    /// as many of least utility breathed out, Lloyd (<see cref="RefineIterations"/>) after each; kept if the
    /// buffer's objective drops, the depth one less if not; it stops at depth 0. 0 for none. The k-means
    /// model's only.
    /// </summary>
    /// <value>
    /// The default value is 20. A breath costs two Lloyd runs on the buffer (k + m and k centroids) and a
    /// pass for the utilities; breathing usually stops after 5–8 breaths, 1.5–3× one start's cost
    /// (Fashion-MNIST, d = 784, k = 10: 1.5 s of CPU instead of 0.5 s; d = 16, k = 64: 0.04 s instead of
    /// 0.02 s; d = 32, k = 256: 0.20 s instead of 0.14 s). On Fashion-MNIST every seed's start then lies in the basin of an optimum 0.5 % below batch
    /// k-means' best of three starts, where one start left the streamed mean 0.5 % above it.
    /// </value>
    public int SeedingBreaths { get; init; } = 20;

    /// <summary>Gets the breathing depth m (centroids breathed in and out) of the first breath, at most k − 1; it drops by one after each breath that does not pay.</summary>
    /// <value>The default value is 5 (breathing k-means' own).</value>
    public int BreathingDepth { get; init; } = 5;

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Clusters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Dimensions);
        if (!(ReseedRatio >= 0 && ReseedRatio < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ReseedRatio), ReseedRatio, "The reseed ratio must be in [0, 1).");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(SeedingCandidates);
        ArgumentOutOfRangeException.ThrowIfNegative(RefineIterations);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SeedingStarts);
        ArgumentOutOfRangeException.ThrowIfNegative(SeedingBreaths);
        ArgumentOutOfRangeException.ThrowIfNegative(BreathingDepth);
        ArgumentOutOfRangeException.ThrowIfNegative(RepairHold);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(RepairEvery);
    }
}
