using StreamingClusters.Ingest;

namespace StreamingClusters.Sources;

/// <summary>
/// An input of the pipeline. A source reads records, hands each to its <see cref="SourceIngest"/>
/// (which validates, counts, dead-letters and packs them into blocks), and flushes whatever it has
/// handed in before it returns — also when cancelled, so that every record received is applied or
/// rejected, never lost.
/// </summary>
public interface IPointSource
{
    /// <summary>Gets the source's name, unique in the pipeline.</summary>
    string Name { get; }

    /// <summary>Gets a value indicating whether the source ends on its own (a file read once, standard input).</summary>
    bool IsFinite { get; }

    /// <summary>
    /// Gets the position to resume from, in the source's own terms (a byte offset for files), or
    /// −1 when the source cannot be replayed. Set before <see cref="RunAsync"/> by a restart.
    /// </summary>
    long ResumePosition { get; set; }

    /// <summary>Reads the source until it ends or <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="ingest">Where the records go.</param>
    /// <param name="cancellationToken">Stops reading; what was read is still flushed.</param>
    /// <returns>A task that completes when the source has ended and flushed.</returns>
    Task RunAsync(SourceIngest ingest, CancellationToken cancellationToken);
}
