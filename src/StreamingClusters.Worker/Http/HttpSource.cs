using StreamingClusters.Ingest;
using StreamingClusters.Sources;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// The source <c>http</c>: the points of POST /points bodies and the records they bring that never
/// become points, counted and dead-lettered under the one name — in snapshots, in <c>/metrics</c> and
/// in dead letters. In-process writers keep the source <c>writer</c>.
/// </summary>
internal sealed class HttpSource
{
    /// <summary>The source name of HTTP bodies.</summary>
    public const string SourceName = "http";

    private readonly DimensionGate _shape;

    public HttpSource(ClusteringPipeline pipeline, TimeProvider time)
    {
        Writer = new PointWriter(pipeline.Ingest, time, SourceName);
        _shape = pipeline.Ingest.Dimensions;
    }

    /// <summary>Gets the writer of the bodies' points.</summary>
    public PointWriter Writer { get; }

    /// <summary>
    /// Names the stream's values from a body's CSV header, unless a source has named them already (as a
    /// file source does with its header), when the body's points are as wide as the stream's.
    /// </summary>
    /// <param name="parser">The body's parser, once the body is read.</param>
    /// <param name="dimensions">The body's values per point.</param>
    public void NameColumns(RecordParser parser, int dimensions)
    {
        int stream = _shape.Dimensions;
        if (parser.ColumnNames is { } names && names.Count == dimensions && (stream == 0 || stream == dimensions))
        {
            _shape.ProposeColumnNames(names);
        }
    }

    /// <summary>Counts and dead-letters the rejected records of a body.</summary>
    /// <param name="rejections">The rejections.</param>
    /// <param name="cancellationToken">Cancels sending their count on; they are counted all the same.</param>
    /// <returns>A task that completes when they are counted.</returns>
    public ValueTask RejectAsync(IReadOnlyList<BodyRejection> rejections, CancellationToken cancellationToken) =>
        rejections.Count == 0
            ? ValueTask.CompletedTask
            : Writer.RejectAsync(
                source =>
                {
                    foreach (BodyRejection r in rejections)
                    {
                        source.Reject(r.Line, r.Reason, r.Raw.Span, -1);
                    }
                },
                cancellationToken);
}
