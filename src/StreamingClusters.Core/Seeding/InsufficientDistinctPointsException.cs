namespace StreamingClusters.Seeding;

/// <summary>Seeding was asked for more clusters than the points hold distinct values.</summary>
public sealed class InsufficientDistinctPointsException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="clusters">The number of clusters asked for.</param>
    /// <param name="points">The number of points seeding had.</param>
    /// <param name="distinct">How many of them were distinct.</param>
    public InsufficientDistinctPointsException(int clusters, int points, int distinct)
        : base($"Seeding needs at least {clusters} distinct points (k = {clusters}), but the {points} buffered points hold only {distinct} distinct values.")
    {
        Clusters = clusters;
        Points = points;
        Distinct = distinct;
    }

    /// <summary>Gets the number of clusters asked for.</summary>
    public int Clusters { get; }

    /// <summary>Gets the number of points seeding had.</summary>
    public int Points { get; }

    /// <summary>Gets the number of distinct values found.</summary>
    public int Distinct { get; }
}
