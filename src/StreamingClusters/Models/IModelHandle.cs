using StreamingClusters.Ingest;
using StreamingClusters.Model;
using StreamingClusters.Publishing;

namespace StreamingClusters.Models;

/// <summary>
/// One named model: write points to it, read and watch its snapshots and cluster events, score points
/// against it. Wherever the model runs, the contract is the one of the in-process pipeline.
/// </summary>
public interface IModelHandle
{
    /// <summary>Gets the model's name.</summary>
    string Name { get; }

    /// <summary>Gets every new model version; a new subscriber gets the latest at once.</summary>
    IObservable<CentroidSnapshot> Snapshots { get; }

    /// <summary>Gets the changes of the clusters' ids: recent history first, then each new one.</summary>
    IObservable<ClusterEvent> Events { get; }

    /// <summary>Describes the model: its shape, its limits on records and its progress.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The description.</returns>
    ValueTask<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Gets what a record posted to the model must be: its dimension and the limits on records. Unlike
    /// <see cref="DescribeAsync"/>, answered from what this process holds once it knows the model's
    /// definition, so that a post asks nothing more of wherever the model runs (a process that holds a
    /// model running elsewhere checks it again only at the cadence it follows the model's versions at, to
    /// find a model deleted and made again under the name).
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The dimension (0 until known) and the limits, as <see cref="DescribeAsync"/> gives them.</returns>
    ValueTask<RecordLimits> LimitsAsync(CancellationToken cancellationToken = default);

    /// <summary>Gets the latest snapshot.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The latest snapshot, or null before the model is seeded.</returns>
    ValueTask<CentroidSnapshot?> LatestAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes points all or nothing, counted as <paramref name="source"/>, with the contract of
    /// <see cref="IPointWriter.TryWriteAsync"/>: if room for every valid point does not free up within
    /// <paramref name="wait"/>, nothing is taken (not even counted) and the result is null.
    /// </summary>
    /// <param name="source">The source the points are counted and dead-lettered as (<c>http</c>, say).</param>
    /// <param name="points">count × d values, row-major.</param>
    /// <param name="dimensions">d; must match the model's once that is known.</param>
    /// <param name="columns">The names of the d columns (a CSV header), proposed for the model's columns unless a source named them already; null when unnamed.</param>
    /// <param name="wait">How long to wait for room.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How many points were accepted and rejected, or null when the model stayed full.</returns>
    /// <exception cref="ArgumentException">The points' dimension is not the model's.</exception>
    /// <exception cref="InvalidOperationException">The model no longer accepts points (it is stopping).</exception>
    Task<WriteResult?> TryWriteAsync(
        string source,
        ReadOnlyMemory<float> points,
        int dimensions,
        IReadOnlyList<string>? columns,
        TimeSpan wait,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a body's points as <see cref="TryWriteAsync(string, ReadOnlyMemory{float}, int, IReadOnlyList{string}?, TimeSpan, CancellationToken)"/>
    /// does, with the records of the same body the caller could not read, counted and dead-lettered as
    /// <see cref="RejectAsync"/> does, but only when the points are taken (a null result counts nothing, so
    /// that the body may be sent again). Where the model runs elsewhere, both travel in one message, so
    /// that a body costs one write there and is either taken whole or not at all. The default writes the
    /// points, then the rejections, as a model of this process does.
    /// </summary>
    /// <param name="source">The source the points and records are counted and dead-lettered as.</param>
    /// <param name="points">count × d values, row-major.</param>
    /// <param name="dimensions">d; must match the model's once that is known.</param>
    /// <param name="columns">The names of the d columns, or null.</param>
    /// <param name="rejections">The records of the same body that could not be read as points.</param>
    /// <param name="wait">How long to wait for room.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How many points were accepted and rejected (the records not among them), or null when the model stayed full.</returns>
    /// <exception cref="ArgumentException">The points' dimension is not the model's.</exception>
    /// <exception cref="InvalidOperationException">The model no longer accepts points (it is stopping).</exception>
    async Task<WriteResult?> TryWriteAsync(
        string source,
        ReadOnlyMemory<float> points,
        int dimensions,
        IReadOnlyList<string>? columns,
        IReadOnlyList<RecordRejection> rejections,
        TimeSpan wait,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rejections);
        WriteResult? written = await TryWriteAsync(source, points, dimensions, columns, wait, cancellationToken).ConfigureAwait(false);
        if (written is not null && rejections.Count > 0)
        {
            await RejectAsync(source, rejections, cancellationToken).ConfigureAwait(false);
        }

        return written;
    }

    /// <summary>
    /// Counts and dead-letters, as <paramref name="source"/>, records the caller could not read as points
    /// (an HTTP body's bad lines), so that one source holds a body's points and its rejections.
    /// </summary>
    /// <param name="source">The source they are counted as.</param>
    /// <param name="rejections">The records.</param>
    /// <param name="cancellationToken">Cancels sending their count on; they are counted all the same.</param>
    /// <returns>A task that completes when they are counted.</returns>
    ValueTask RejectAsync(string source, IReadOnlyList<RecordRejection> rejections, CancellationToken cancellationToken = default);

    /// <summary>Scores points against the latest model (<see cref="IClusterScorer"/>).</summary>
    /// <param name="points">count × d values in the input's units, row-major.</param>
    /// <param name="dimensions">d; must be the model's.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The scores, or null before the model is seeded.</returns>
    /// <exception cref="ArgumentException">The points' dimension is not the model's.</exception>
    ValueTask<ModelScores?> ScoreAsync(ReadOnlyMemory<float> points, int dimensions, CancellationToken cancellationToken = default);
}
