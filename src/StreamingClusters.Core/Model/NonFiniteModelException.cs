namespace StreamingClusters.Model;

/// <summary>An update would have produced a centroid or weight that is NaN or infinite; it was refused.</summary>
public sealed class NonFiniteModelException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="cluster">The first cluster whose value was not finite.</param>
    /// <param name="version">The version the refused update would have produced.</param>
    public NonFiniteModelException(int cluster, long version)
        : base($"The update to version {version} would make cluster {cluster} non-finite; it was refused and the model stays at version {version - 1}.")
    {
        Cluster = cluster;
        Version = version;
    }

    /// <summary>Gets the first cluster whose value was not finite.</summary>
    public int Cluster { get; }

    /// <summary>Gets the version the refused update would have produced.</summary>
    public long Version { get; }
}
