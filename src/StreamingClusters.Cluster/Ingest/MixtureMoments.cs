using StreamingClusters.Mixture;

namespace StreamingClusters.Cluster.Ingest;

/// <summary>
/// Moves a mixture's moments from one centre to another: its statistics are taken about the means of the
/// version the points were assigned against, and statistics of another version are added, or applied,
/// only once they are about the same means.
/// </summary>
internal static class MixtureMoments
{
    /// <summary>
    /// Rewrites Σγ(x − a) and Σγ(x − a)² as Σγ(x − b) = Σγ(x − a) + δΣγ and
    /// Σγ(x − b)² = Σγ(x − a)² + 2δΣγ(x − a) + δ²Σγ, with δ = a − b; nothing changes when a and b are the same.
    /// </summary>
    /// <param name="statistics">The statistics, about <paramref name="from"/>.</param>
    /// <param name="from">The means a they are about, k × d.</param>
    /// <param name="to">The means b they are to be about, k × d.</param>
    public static void MoveAbout(MixtureStatistics statistics, ReadOnlySpan<double> from, ReadOnlySpan<double> to)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        if (from.SequenceEqual(to))
        {
            // The same version's means: the statistics stay bit for bit what the E-step made.
            return;
        }

        int d = statistics.Dimensions;
        Span<double> mass = statistics.Mass;
        Span<double> first = statistics.First;
        Span<double> second = statistics.Second;
        for (int i = 0; i < first.Length; i++)
        {
            double delta = from[i] - to[i];
            double m = mass[i / d];
            second[i] += (2 * delta * first[i]) + (delta * delta * m);
            first[i] += delta * m;
        }
    }
}
