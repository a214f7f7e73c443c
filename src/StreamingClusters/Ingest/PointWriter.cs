using System.Threading.Channels;

namespace StreamingClusters.Ingest;

/// <summary>
/// The in-process <see cref="IPointWriter"/>: a source named <see cref="SourceName"/> whose records
/// are handed over by callers. Calls are serialised; each point is validated like any record.
/// </summary>
internal sealed class PointWriter : IPointWriter
{
    /// <summary>The name under which in-process points are counted.</summary>
    public const string SourceName = "writer";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly IngestStage _ingest;
    private SourceIngest? _source;

    public PointWriter(IngestStage ingest)
    {
        _ingest = ingest;
    }

    public int Dimensions => _ingest.Dimensions.Dimensions;

    public async ValueTask<WriteResult> WriteAsync(ReadOnlyMemory<float> points, int dimensions, CancellationToken cancellationToken = default)
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

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            SourceIngest source = _source ??= _ingest.Open(SourceName);
            int accepted = 0;
            int count = points.Length / dimensions;
            for (int i = 0; i < count; i++)
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
}
