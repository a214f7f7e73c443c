namespace StreamingClusters.Sources;

/// <summary>
/// A source that acknowledges what it delivered to its sender (a broker) only once that is safe: it is
/// told, for a position it reported on its records, when every record up to there is applied or
/// rejected and — with checkpoints on — covered by a checkpoint written to disk.
/// </summary>
public interface IAcknowledgingSource : IPointSource
{
    /// <summary>
    /// Every record at or before <paramref name="position"/> is applied or rejected and, with
    /// checkpoints on, held by a written checkpoint. Called on the model's thread: it must not block.
    /// Positions only grow from one call to the next.
    /// </summary>
    /// <param name="position">A resume position the source reported on a record.</param>
    void Committed(long position);
}
