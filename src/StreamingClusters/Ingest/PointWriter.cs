using System.Threading.Channels;

namespace StreamingClusters.Ingest;

/// <summary>
/// The in-process <see cref="IPointWriter"/>: a source (named <see cref="SourceName"/> unless given
/// another name) whose records are handed over by callers. Calls are serialised; each point is validated like any record.
/// </summary>
internal sealed class PointWriter : IPointWriter
{
    /// <summary>The name under which in-process points are counted.</summary>
    public const string SourceName = "writer";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly IngestStage _ingest;
    private SourceIngest? _source;

    private readonly TimeProvider _time;
    private readonly string _sourceName;

    public PointWriter(IngestStage ingest, TimeProvider time, string sourceName = SourceName)
    {
        _ingest = ingest;
        _time = time;
        _sourceName = sourceName;
    }

    public int Dimensions => _ingest.Dimensions.Dimensions;

    public async ValueTask<WriteResult> WriteAsync(ReadOnlyMemory<float> points, int dimensions, CancellationToken cancellationToken = default)
    {
        Check(points, dimensions);
        WriteResult? result = await WriteCoreAsync(points, dimensions, reserveWithin: null, cancellationToken).ConfigureAwait(false);
        return result!.Value;
    }

    public async Task<WriteResult?> TryWriteAsync(ReadOnlyMemory<float> points, int dimensions, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        Check(points, dimensions);
        return await WriteCoreAsync(points, dimensions, wait, cancellationToken).ConfigureAwait(false);
    }

    private void Check(ReadOnlyMemory<float> points, int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        if (points.Length % dimensions != 0)
        {
            throw new ArgumentException($"{points.Length} values are not a whole number of points of dimension {dimensions}.", nameof(points));
        }

        int known = Dimensions;
        if (known != 0 && known != dimensions)
        {
            throw new ArgumentException($"The pipeline's points have {known} dimensions, not {dimensions}.", nameof(dimensions));
        }
    }

    private async ValueTask<WriteResult?> WriteCoreAsync(ReadOnlyMemory<float> points, int dimensions, TimeSpan? reserveWithin, CancellationToken cancellationToken)
    {
        long started = _time.GetTimestamp();
        if (!await EnterAsync(reserveWithin, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            SourceIngest source = _source ??= _ingest.Open(_sourceName);
            if (reserveWithin is TimeSpan wait)
            {
                int valid = CountValid(points.Span, dimensions);
                TimeSpan left = wait - _time.GetElapsedTime(started);
                if (!await source.ReserveAsync(valid, left > TimeSpan.Zero ? left : TimeSpan.Zero, _time, cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }
            }

            int count = points.Length / dimensions;
            int done = 0;
            if (source.Dimensions == dimensions)
            {
                // Block by block, each run checked while it is copied and counted together; from the
                // first run with a value out of range on, point by point, so that only bad points are rejected.
                while (done < count)
                {
                    if (source.MustFlush)
                    {
                        await source.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }

                    int taken = source.AcceptRun(points.Span[(done * dimensions)..], -1);
                    if (taken == 0)
                    {
                        break;
                    }

                    done += taken;
                }

                if (done == count)
                {
                    await source.FlushAsync(cancellationToken).ConfigureAwait(false);
                    return new WriteResult(count, 0);
                }
            }

            int accepted = done;
            for (int i = done; i < count; i++)
            {
                if (source.MustFlush)
                {
                    await source.FlushAsync(cancellationToken).ConfigureAwait(false);
                }

                ReadOnlySpan<float> point = points.Span.Slice(i * dimensions, dimensions);
                long record = source.Records + 1;
                if (source.Accept(point, default, record, -1))
                {
                    accepted++;
                }
            }

            await source.FlushAsync(cancellationToken).ConfigureAwait(false);
            return new WriteResult(accepted, count - accepted);
        }
        catch (ChannelClosedException ex)
        {
            throw new InvalidOperationException("The pipeline no longer accepts points: it is stopping or has stopped.", ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Counts and dead-letters, as this writer's source, records that the caller could not read as points
    /// (an HTTP body's bad lines), so that one source holds a body's points and its rejections.
    /// </summary>
    /// <param name="reject">Rejects the records on the source, in the writer's turn.</param>
    /// <param name="cancellationToken">Cancels sending their count on; they are counted all the same.</param>
    /// <returns>A task that completes when the records are counted.</returns>
    internal async ValueTask RejectAsync(Action<SourceIngest> reject, CancellationToken cancellationToken)
    {
        // Not cancellable: records rejected are never sent again, so a caller who goes away must not lose
        // their count. The turn is held no longer than a write's wait for room.
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            SourceIngest source = _source ??= _ingest.Open(_sourceName);
            reject(source);
            // Sends the records' count on with an empty block, for checkpoints to carry.
            await source.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // The pipeline has stopped: the records are counted and dead-lettered; no checkpoint follows.
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Takes the writer's turn. A bounded write's wait covers its turn too: behind a caller that waits
    /// for room without a bound, it would otherwise wait as long as that caller, not as long as it asked.
    /// </summary>
    private async ValueTask<bool> EnterAsync(TimeSpan? within, CancellationToken cancellationToken)
    {
        if (within is not TimeSpan wait)
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (_gate.Wait(0, CancellationToken.None))
        {
            return true;
        }

        using var timeout = new CancellationTokenSource(wait, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await _gate.WaitAsync(linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private int CountValid(ReadOnlySpan<float> points, int dimensions)
    {
        if (PointValidator.AllWithin(points, _ingest.MaxAbsoluteValue))
        {
            return points.Length / dimensions;
        }

        int valid = 0;
        for (int i = 0; i < points.Length; i += dimensions)
        {
            if (PointValidator.Check(points.Slice(i, dimensions), dimensions, _ingest.MaxAbsoluteValue) is null)
            {
                valid++;
            }
        }

        return valid;
    }
}
