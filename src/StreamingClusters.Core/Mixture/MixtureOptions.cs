namespace StreamingClusters.Mixture;

/// <summary>The choices of a Gaussian mixture beyond those it shares with k-means (<see cref="Model.ModelSettings"/>).</summary>
public sealed record MixtureOptions
{
    /// <summary>
    /// Gets the least variance of a coordinate, as a fraction of that coordinate's variance in the seeding
    /// buffer: a component on a few coincident points would otherwise shrink to nothing and its density grow
    /// without bound.
    /// </summary>
    /// <value>The default value is 1e-6.</value>
    public double RelativeVarianceFloor { get; init; } = 1e-6;

    /// <summary>Gets the most batch EM iterations on the seeding buffer, after the k-means seeding.</summary>
    /// <value>The default value is 100.</value>
    public int SeedingIterations { get; init; } = 100;

    /// <summary>
    /// Gets the number of starts of the seeding (k-means seeding, then batch EM, each from its own k-means++
    /// draw); the one of the highest likelihood on the buffer is kept, as scikit-learn's <c>n_init</c> does.
    /// </summary>
    /// <value>
    /// The default value is 3. On overlapping mixtures (d = 8, six components) one start in two ended in a
    /// local optimum 0.5 nats per point below the best, with one component split and two merged.
    /// </value>
    public int SeedingStarts { get; init; } = 3;

    /// <summary>Gets the change of the buffer's mean log-likelihood (nats per point) below which the seeding's EM stops.</summary>
    /// <value>The default value is 1e-4.</value>
    public double SeedingTolerance { get; init; } = 1e-4;

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        if (!(RelativeVarianceFloor > 0 && RelativeVarianceFloor < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(RelativeVarianceFloor), RelativeVarianceFloor, "The relative variance floor must be in (0, 1).");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(SeedingIterations);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SeedingStarts);
        if (!(SeedingTolerance >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(SeedingTolerance), SeedingTolerance, "The seeding tolerance must not be negative.");
        }
    }
}
