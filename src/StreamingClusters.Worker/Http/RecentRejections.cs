using StreamingClusters.Ingest;
using StreamingClusters.Sinks;

namespace StreamingClusters.Worker.Http;

/// <summary>One rejected record as GET /rejections/recent reports it: no raw text, only where and why.</summary>
/// <param name="Model">The model the record was for (<c>default</c> for the model of the top-level settings).</param>
/// <param name="Source">The source's name.</param>
/// <param name="Record">The record's number in the source, from 1.</param>
/// <param name="Reason">Why it was rejected.</param>
/// <param name="At">When it was rejected.</param>
internal readonly record struct RecentRejection(string Model, string Source, long Record, string Reason, DateTimeOffset At);

/// <summary>
/// The last <see cref="Capacity"/> rejected records, newest first, for GET /rejections/recent and the
/// page; a fixed ring, so that a feed of bad records costs a bounded amount of memory.
/// </summary>
internal sealed class RecentRejections
{
    /// <summary>How many rejections are kept.</summary>
    public const int Capacity = 20;

    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly RecentRejection[] _ring = new RecentRejection[Capacity];

    /// <summary>The number of rejections ever added; the next one goes to <c>_added % Capacity</c>.</summary>
    private long _added;

    public RecentRejections(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>Keeps <paramref name="record"/> in place of the oldest one kept.</summary>
    public void Add(in RejectedRecord record)
    {
        var recent = new RecentRejection(record.Model ?? Models.ModelName.Default, record.Source, record.Record, record.Reason, _time.GetUtcNow());
        lock (_gate)
        {
            _ring[_added % Capacity] = recent;
            _added++;
        }
    }

    /// <summary>Gets the kept rejections, newest first.</summary>
    public RecentRejection[] Newest()
    {
        lock (_gate)
        {
            int count = (int)Math.Min(_added, Capacity);
            var newest = new RecentRejection[count];
            for (int i = 0; i < count; i++)
            {
                newest[i] = _ring[(_added - 1 - i) % Capacity];
            }

            return newest;
        }
    }
}

/// <summary>Passes rejected records on to the configured dead-letter sink and keeps the last few in <see cref="RecentRejections"/>.</summary>
/// <param name="inner">The configured sink.</param>
/// <param name="recent">Where the last few are kept.</param>
internal sealed class RecentRejectionsSink(IDeadLetterSink inner, RecentRejections recent) : ForwardingDeadLetterSink(inner)
{
    protected override void Seen(in RejectedRecord record) => recent.Add(record);
}
