using StreamingClusters.Ingest;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// The records that HTTP bodies bring and that never become points: counted and dead-lettered as the
/// source <c>http</c>, like any source's rejections. Accepted points go through <see cref="IPointWriter"/>
/// (the source <c>writer</c>), which counts only what it is handed.
/// </summary>
internal sealed class HttpRejections
{
    /// <summary>The source name of HTTP rejections.</summary>
    public const string SourceName = "http";

    private readonly Lock _gate = new();
    private readonly SourceIngest _ingest;

    public HttpRejections(ClusteringPipeline pipeline)
    {
        _ingest = pipeline.Ingest.Open(SourceName);
    }

    /// <summary>Counts and dead-letters the rejected records of a body.</summary>
    /// <param name="rejections">The rejections.</param>
    public void Add(IEnumerable<BodyRejection> rejections)
    {
        // A SourceIngest is used by one thread at a time; requests arrive concurrently.
        lock (_gate)
        {
            foreach (BodyRejection r in rejections)
            {
                _ingest.Reject(r.Line, r.Reason, r.Raw.Span, -1);
            }
        }
    }
}
