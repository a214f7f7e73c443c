namespace StreamingClusters.Ingest;

/// <summary>How many of the points handed to <see cref="IPointWriter.WriteAsync"/> were accepted.</summary>
/// <param name="Accepted">Points that entered the pipeline.</param>
/// <param name="Rejected">Points rejected (non-finite or out of range) and dead-lettered.</param>
public readonly record struct WriteResult(int Accepted, int Rejected);

/// <summary>
/// The writer side of the pipeline, for programs that feed points in process. Writes wait while the
/// pipeline is full. Hand points over in blocks: each call is flushed into the channel as it returns.
/// </summary>
public interface IPointWriter
{
    /// <summary>Gets the dimension d the points must have, or 0 until the first valid point fixes it.</summary>
    int Dimensions { get; }

    /// <summary>Writes points into the pipeline.</summary>
    /// <param name="points">count × d values, row-major.</param>
    /// <param name="dimensions">d; must match <see cref="Dimensions"/> once that is known.</param>
    /// <param name="cancellationToken">Cancels the wait for room; points already taken stay taken.</param>
    /// <returns>How many points were accepted and rejected.</returns>
    /// <exception cref="InvalidOperationException">The pipeline no longer accepts points (it is stopping).</exception>
    ValueTask<WriteResult> WriteAsync(ReadOnlyMemory<float> points, int dimensions, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes points all or nothing: if room for every valid point does not free up within
    /// <paramref name="wait"/>, nothing is taken (not even counted) and the result is null.
    /// </summary>
    /// <param name="points">count × d values, row-major.</param>
    /// <param name="dimensions">d; must match <see cref="Dimensions"/> once that is known.</param>
    /// <param name="wait">How long to wait for room.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How many points were accepted and rejected, or null when the pipeline stayed full.</returns>
    /// <exception cref="InvalidOperationException">The pipeline no longer accepts points (it is stopping).</exception>
    Task<WriteResult?> TryWriteAsync(ReadOnlyMemory<float> points, int dimensions, TimeSpan wait, CancellationToken cancellationToken = default);
}
