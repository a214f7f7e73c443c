using System.Runtime.InteropServices;
using StreamingClusters.Statistics;

namespace StreamingClusters.Cluster.Messages;

/// <summary>
/// One producer's pre-combined statistics for a model: the sufficient statistics of the points its
/// silo E-stepped, the first of those points (candidates for reseeds and the repair), and the
/// producer's name and sequence number, so that the model grain applies each batch once.
/// </summary>
[GenerateSerializer]
[Immutable]
public sealed record StatisticsBatch
{
    /// <summary>Gets the producer: a silo's ingest for this model, named afresh each time the silo starts.</summary>
    [Id(0)]
    public required string Producer { get; init; }

    /// <summary>Gets the producer's sequence number, from 1, one more for each batch it sends the model.</summary>
    [Id(1)]
    public required long Sequence { get; init; }

    /// <summary>Gets the oldest model version the points were assigned against.</summary>
    [Id(2)]
    public required long BasedOnVersion { get; init; }

    /// <summary>Gets n_c per cluster.</summary>
#pragma warning disable CA1819 // Plain data that travels.
    [Id(3)]
    public required long[] Counts { get; init; }

    /// <summary>Gets s_c per cluster, k × d, row-major.</summary>
    [Id(4)]
    public required double[] Sums { get; init; }

    /// <summary>Gets e_c per cluster.</summary>
    [Id(5)]
    public required double[] SquaredErrors { get; init; }

    /// <summary>
    /// Gets the first points of the batch (at most the model's sample size), row-major, as the raw bytes of
    /// the floats in the hosts' byte order: Orleans copies a byte array whole, a float array value by value
    /// (a 1,024-point sample at d = 16 cost about 1 ms of CPU per batch that way).
    /// </summary>
    [Id(8)]
    public required byte[] SampleBytes { get; init; }

    /// <summary>
    /// Gets each source's share of the points, and the records the silo rejected from it since its
    /// previous batch. A batch with no points (empty <see cref="Counts"/>) carries only these counts.
    /// </summary>
    [Id(7)]
    public SourceTally[] Sources { get; init; } = [];
#pragma warning restore CA1819

    /// <summary>Gets the incarnation of the model the points were assigned against (<see cref="ClusterModelDefinition.Incarnation"/>); another is refused.</summary>
    [Id(9)]
    public string? Incarnation { get; init; }

    /// <summary>Gets the sample's points, row-major (see <see cref="SampleBytes"/>).</summary>
    public ReadOnlySpan<float> Sample => MemoryMarshal.Cast<byte, float>(SampleBytes);

    /// <summary>Gets the number of points the statistics summarise.</summary>
    public long Points => Counts.Sum();

    /// <summary>Gets a value indicating whether the batch carries only counts of rejections, no statistics.</summary>
    public bool CountsOnly => Counts.Length == 0;

    /// <summary>Makes a batch of statistics.</summary>
    /// <param name="producer">The producer.</param>
    /// <param name="sequence">Its sequence number.</param>
    /// <param name="basedOnVersion">The oldest version the points were assigned against.</param>
    /// <param name="statistics">The statistics (copied).</param>
    /// <param name="sample">The points that travel beside them (copied).</param>
    /// <param name="sources">Each source's share of the points and its rejections, or null for none.</param>
    /// <returns>The batch.</returns>
    public static StatisticsBatch From(string producer, long sequence, long basedOnVersion, ClusterStatistics statistics, ReadOnlySpan<float> sample, SourceTally[]? sources = null)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        return new()
        {
            Producer = producer,
            Sequence = sequence,
            BasedOnVersion = basedOnVersion,
            Counts = statistics.Counts.ToArray(),
            Sums = statistics.Sums.ToArray(),
            SquaredErrors = statistics.SquaredErrors.ToArray(),
            SampleBytes = MemoryMarshal.AsBytes(sample).ToArray(),
            Sources = sources ?? [],
        };
    }

    /// <summary>Makes a batch that carries only counts of rejections.</summary>
    /// <param name="producer">The producer.</param>
    /// <param name="sequence">Its sequence number.</param>
    /// <param name="sources">Each source's rejections.</param>
    /// <returns>The batch.</returns>
    public static StatisticsBatch CountsOnlyFrom(string producer, long sequence, SourceTally[] sources) => new()
    {
        Producer = producer,
        Sequence = sequence,
        BasedOnVersion = 0,
        Counts = [],
        Sums = [],
        SquaredErrors = [],
        SampleBytes = [],
        Sources = sources,
    };

    /// <summary>Gets the statistics back, checked against the model's shape.</summary>
    /// <param name="clusters">The model's k.</param>
    /// <param name="dimensions">The model's d.</param>
    /// <returns>The statistics.</returns>
    /// <exception cref="ArgumentException">The arrays do not fit the shape.</exception>
    /// <exception cref="BatchWithoutSampleException">The batch has no sample (a silo of an earlier version sent it).</exception>
    public ClusterStatistics ToStatistics(int clusters, int dimensions)
    {
        if (SampleBytes is null)
        {
            // Orleans leaves a field it did not receive unset, required or not: a batch of an earlier version.
            throw new BatchWithoutSampleException(Producer);
        }

        if (Counts.Length != clusters || SquaredErrors.Length != clusters || Sums.Length != clusters * dimensions || SampleBytes.Length % sizeof(float) != 0 || Sample.Length % dimensions != 0)
        {
            throw new ArgumentException(
                $"A statistics batch of {Counts.Length} counts, {Sums.Length} sums and {Sample.Length} sample values does not fit the model (k={clusters}, d={dimensions}).");
        }

        var statistics = new ClusterStatistics(clusters, dimensions);
        Counts.CopyTo(statistics.Counts);
        Sums.CopyTo(statistics.Sums);
        SquaredErrors.CopyTo(statistics.SquaredErrors);
        return statistics;
    }
}
