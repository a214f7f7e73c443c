using System.ComponentModel.DataAnnotations;

namespace StreamingClusters.Options;

/// <summary>The choices of the Gaussian mixture (<see cref="ModelKind.GaussianMixture"/>), bound from <c>StreamingClusters:Mixture</c>.</summary>
public sealed class MixtureModelOptions
{
    /// <summary>
    /// Gets or sets the least variance of a coordinate, as a fraction of that coordinate's variance in the
    /// seeding buffer: it keeps a component on a few coincident points from collapsing.
    /// </summary>
    /// <value>The default value is 1e-6.</value>
    [Range(1e-12, 0.5)]
    public double VarianceFloor { get; set; } = 1e-6;

    /// <summary>Gets or sets the number of seeding starts (k-means seeding then batch EM on the buffer); the most likely is kept.</summary>
    /// <value>The default value is 3.</value>
    [Range(1, 100)]
    public int SeedingStarts { get; set; } = 3;

    /// <summary>Gets or sets the most batch EM iterations of each seeding start.</summary>
    /// <value>The default value is 100.</value>
    [Range(0, 10_000)]
    public int SeedingIterations { get; set; } = 100;

    /// <summary>Gets or sets the change of the buffer's mean log-likelihood (nats per point) below which a start's EM stops.</summary>
    /// <value>The default value is 1e-4.</value>
    [Range(0.0, 1.0)]
    public double SeedingTolerance { get; set; } = 1e-4;
}
