using System.Runtime.InteropServices;
using StreamingClusters.Cluster.Ingest;
using StreamingClusters.Mixture;

namespace StreamingClusters.Cluster.Messages;

/// <summary>
/// One producer's pre-combined statistics for a Gaussian mixture, as <see cref="StatisticsBatch"/> is for
/// k-means: the soft E-step's sufficient statistics, the means they are taken about (the version's the
/// points were assigned against), the first points of the batch, and the producer's name and sequence number.
/// </summary>
[GenerateSerializer]
[Immutable]
public sealed record MixtureStatisticsBatch
{
    /// <summary>Gets the producer (see <see cref="StatisticsBatch.Producer"/>).</summary>
    [Id(0)]
    public required string Producer { get; init; }

    /// <summary>Gets the producer's sequence number (shared with its other batches to the same model).</summary>
    [Id(1)]
    public required long Sequence { get; init; }

    /// <summary>Gets the oldest model version the points were assigned against.</summary>
    [Id(2)]
    public required long BasedOnVersion { get; init; }

#pragma warning disable CA1819 // Plain data that travels.
    /// <summary>Gets the points whose most likely component was each component.</summary>
    [Id(3)]
    public required long[] Counts { get; init; }

    /// <summary>Gets Σγ per component.</summary>
    [Id(4)]
    public required double[] Mass { get; init; }

    /// <summary>Gets Σγ(x − μ) per component and coordinate, k × d, about <see cref="About"/>.</summary>
    [Id(5)]
    public required double[] First { get; init; }

    /// <summary>Gets Σγ(x − μ)² per component and coordinate, k × d, about <see cref="About"/>.</summary>
    [Id(6)]
    public required double[] Second { get; init; }

    /// <summary>Gets the means μ the moments are taken about, k × d.</summary>
    [Id(7)]
    public required double[] About { get; init; }

    /// <summary>
    /// Gets the first points of the batch (at most the model's sample size), row-major, as the raw bytes of
    /// the floats in the hosts' byte order (see <see cref="StatisticsBatch.SampleBytes"/>).
    /// </summary>
    [Id(8)]
    public required byte[] SampleBytes { get; init; }

    /// <summary>Gets each source's share of the points, and the records the silo rejected from it since its previous batch.</summary>
    [Id(10)]
    public SourceTally[] Sources { get; init; } = [];
#pragma warning restore CA1819

    /// <summary>Gets Σ log p(x), the points' log-likelihood under the versions they were assigned against.</summary>
    [Id(9)]
    public required double LogLikelihood { get; init; }

    /// <summary>Gets the incarnation of the model the points were assigned against (<see cref="ClusterModelDefinition.Incarnation"/>); another is refused.</summary>
    [Id(11)]
    public string? Incarnation { get; init; }

    /// <summary>Gets the sample's points, row-major (see <see cref="SampleBytes"/>).</summary>
    public ReadOnlySpan<float> Sample => MemoryMarshal.Cast<byte, float>(SampleBytes);

    /// <summary>Gets the number of points the statistics summarise.</summary>
    public long Points => Counts.Sum();

    /// <summary>Makes a batch.</summary>
    /// <param name="producer">The producer.</param>
    /// <param name="sequence">Its sequence number.</param>
    /// <param name="basedOnVersion">The oldest version the points were assigned against.</param>
    /// <param name="statistics">The statistics (copied).</param>
    /// <param name="about">The means they are taken about (copied).</param>
    /// <param name="sample">The points that travel beside them (copied).</param>
    /// <param name="sources">Each source's share of the points and its rejections, or null for none.</param>
    /// <returns>The batch.</returns>
    public static MixtureStatisticsBatch From(string producer, long sequence, long basedOnVersion, MixtureStatistics statistics, ReadOnlySpan<double> about, ReadOnlySpan<float> sample, SourceTally[]? sources = null)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        return new()
        {
            Producer = producer,
            Sequence = sequence,
            BasedOnVersion = basedOnVersion,
            Counts = statistics.Counts.ToArray(),
            Mass = statistics.Mass.ToArray(),
            First = statistics.First.ToArray(),
            Second = statistics.Second.ToArray(),
            About = about.ToArray(),
            LogLikelihood = statistics.LogLikelihood,
            SampleBytes = MemoryMarshal.AsBytes(sample).ToArray(),
            Sources = sources ?? [],
        };
    }

    /// <summary>Gets the statistics back, taken about <paramref name="means"/> (moved there when they were taken about other means).</summary>
    /// <param name="means">The model's current means, k × d.</param>
    /// <param name="clusters">The model's k.</param>
    /// <param name="dimensions">The model's d.</param>
    /// <returns>The statistics.</returns>
    /// <exception cref="ArgumentException">The arrays do not fit the shape.</exception>
    /// <exception cref="BatchWithoutSampleException">The batch has no sample (a silo of an earlier version sent it).</exception>
    public MixtureStatistics ToStatistics(ReadOnlySpan<double> means, int clusters, int dimensions)
    {
        if (SampleBytes is null)
        {
            // Orleans leaves a field it did not receive unset, required or not: a batch of an earlier version.
            throw new BatchWithoutSampleException(Producer);
        }

        int kd = clusters * dimensions;
        if (Counts.Length != clusters || Mass.Length != clusters || First.Length != kd || Second.Length != kd || About.Length != kd || means.Length != kd
            || SampleBytes.Length % sizeof(float) != 0 || Sample.Length % dimensions != 0)
        {
            throw new ArgumentException(
                $"A mixture statistics batch of {Counts.Length} counts, {First.Length} moments and {Sample.Length} sample values does not fit the model (k={clusters}, d={dimensions}).");
        }

        var statistics = new MixtureStatistics(clusters, dimensions);
        Counts.CopyTo(statistics.Counts);
        Mass.CopyTo(statistics.Mass);
        First.CopyTo(statistics.First);
        Second.CopyTo(statistics.Second);
        statistics.LogLikelihood = LogLikelihood;
        MixtureMoments.MoveAbout(statistics, About, means);
        return statistics;
    }
}
