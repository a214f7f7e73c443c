using StreamingClusters.Ingest;
using StreamingClusters.Sinks;

namespace StreamingClusters.Worker;

/// <summary>
/// Passes rejected records on to the configured dead-letter sink and keeps the first one, so that a run
/// in which every record was rejected can say why and hint at the switch that fixes it.
/// </summary>
internal sealed class RejectionSample(IDeadLetterSink inner) : ForwardingDeadLetterSink(inner)
{
    private readonly Lock _gate = new();
    private RejectedRecord? _first;

    /// <summary>Gets the first record rejected, if any.</summary>
    public RejectedRecord? First
    {
        get
        {
            lock (_gate)
            {
                return _first;
            }
        }
    }

    protected override void Seen(in RejectedRecord record)
    {
        lock (_gate)
        {
            _first ??= record;
        }
    }
}
