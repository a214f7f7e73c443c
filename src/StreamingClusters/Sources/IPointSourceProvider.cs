using StreamingClusters.Options;

namespace StreamingClusters.Sources;

/// <summary>
/// Creates the sources of one <see cref="SourceKind"/> other than files (an MQTT subscription, say), so
/// that the library itself does not depend on the client library of each kind. Registered in the
/// service collection; the hosted service asks it for each source of its kind.
/// </summary>
public interface IPointSourceProvider
{
    /// <summary>Gets the kind of source this provider creates.</summary>
    SourceKind Kind { get; }

    /// <summary>Creates the source configured at <c>StreamingClusters:Sources:<paramref name="index"/></c>.</summary>
    /// <param name="source">The source's common settings (name, format, columns).</param>
    /// <param name="index">The source's position in <see cref="StreamingClustersOptions.Sources"/>.</param>
    /// <param name="options">The pipeline's settings.</param>
    /// <returns>The source, not started.</returns>
    IPointSource Create(SourceOptions source, int index, StreamingClustersOptions options);
}
