using System.Globalization;
using StreamingClusters.Batching;
using StreamingClusters.Checkpoints;
using StreamingClusters.Ingest;
using StreamingClusters.Sinks;

namespace StreamingClusters.MStep;

/// <summary>
/// The model stage's accounting: which source's points were applied or refused, where each source
/// stood at the last whole block the model took, and the segments of the batches still in the model's
/// seeding buffer (counted once the buffer is applied).
/// </summary>
internal sealed class SourceLedger
{
    private readonly IngestStage _ingest;
    private readonly Dictionary<string, SourceCheckpoint> _positions = new(StringComparer.Ordinal);

    /// <summary>The segments of the batches held in the model's seeding buffer, in order.</summary>
    private readonly List<BatchSegment> _held = [];

    /// <summary>Creates the ledger, with the positions of a restored checkpoint.</summary>
    /// <param name="ingest">The sources' counters and the dead-letter sink.</param>
    /// <param name="restored">The positions restored, or empty.</param>
    public SourceLedger(IngestStage ingest, IReadOnlyList<SourceCheckpoint> restored)
    {
        _ingest = ingest;
        foreach (SourceCheckpoint source in restored)
        {
            _positions[source.Name] = source;
        }
    }

    /// <summary>Gets a value indicating whether the model and the positions agree: the last batch taken ended on a block boundary.</summary>
    public bool Aligned { get; private set; } = true;

    /// <summary>Gets every source's counters.</summary>
    public IReadOnlyList<SourceCounters> Sources => _ingest.Sources;

    /// <summary>Gets the position reached in a source, or −1.</summary>
    /// <param name="source">The source's name.</param>
    /// <returns>The byte offset every record before which is applied or rejected.</returns>
    public long PositionOf(string source) => _positions.TryGetValue(source, out SourceCheckpoint? p) ? p.Position : -1;

    /// <summary>Gets each source's position and totals, in name order.</summary>
    /// <returns>The positions, for a checkpoint.</returns>
    public SourceCheckpoint[] Positions() => [.. _positions.Values.OrderBy(p => p.Name, StringComparer.Ordinal)];

    /// <summary>Keeps a buffered batch's segments until the seeding buffer is applied or dropped.</summary>
    /// <param name="segments">The batch's segments.</param>
    public void Hold(IReadOnlyList<BatchSegment> segments) => _held.AddRange(segments);

    /// <summary>Drops the held segments (the seeding buffer was dropped).</summary>
    public void DropHeld() => _held.Clear();

    /// <summary>
    /// The segments of the points a step applied or refused: the held ones (when the seeding buffer
    /// went with this batch) followed by the batch's own.
    /// </summary>
    /// <param name="segments">The batch's segments.</param>
    /// <returns>The segments, in point order.</returns>
    public IReadOnlyList<BatchSegment> Release(IReadOnlyList<BatchSegment> segments)
    {
        if (_held.Count == 0)
        {
            return segments;
        }

        BatchSegment[] all = [.. _held, .. segments];
        _held.Clear();
        return all;
    }

    /// <summary>Counts applied points to their sources.</summary>
    /// <param name="segments">The applied points' segments.</param>
    public void Applied(IReadOnlyList<BatchSegment> segments)
    {
        foreach (BatchSegment segment in segments)
        {
            segment.Source.AddApplied(segment.Points);
        }
    }

    /// <summary>Rejects the points of a refused update: each is counted and dead-lettered.</summary>
    /// <param name="segments">The points' segments.</param>
    /// <param name="points">The points, row-major.</param>
    /// <param name="dimensions">d.</param>
    /// <param name="reason">Why they were refused.</param>
    public void Refused(IReadOnlyList<BatchSegment> segments, ReadOnlySpan<float> points, int dimensions, string reason)
    {
        IDeadLetterSink deadLetters = _ingest.DeadLetters;
        int point = 0;
        foreach (BatchSegment segment in segments)
        {
            segment.Source.AddRejected(segment.Points);
            for (int i = 0; i < segment.Points; i++, point++)
            {
                string raw = string.Join(',', points.Slice(point * dimensions, dimensions).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
                deadLetters.Write(new RejectedRecord(segment.Source.Name, -1, reason, raw));
            }
        }
    }

    /// <summary>
    /// Tells each acknowledging source the position its records are committed through: those of a
    /// checkpoint just written, or (without checkpoints) those the model has reached.
    /// </summary>
    /// <param name="positions">The positions committed; null for the positions reached.</param>
    public void Commit(IReadOnlyList<SourceCheckpoint>? positions = null)
    {
        foreach (SourceCheckpoint position in positions ?? (IEnumerable<SourceCheckpoint>)_positions.Values)
        {
            if (position.Position >= 0 && _ingest.Counters(position.Name).Committed is { } committed)
            {
                committed(position.Position);
            }
        }
    }

    /// <summary>Moves each source whose block the model has taken whole to that block's end.</summary>
    /// <param name="segments">The segments taken.</param>
    public void Reached(IReadOnlyList<BatchSegment> segments)
    {
        foreach (BatchSegment segment in segments)
        {
            if (segment.CompletesBlock)
            {
                _positions[segment.Source.Name] = new SourceCheckpoint(
                    segment.Source.Name, segment.EndPosition, segment.RecordsThrough, segment.RejectedThrough, segment.Source.Applied);
            }
        }

        // Only where the batch ends on a block boundary do the positions and the model agree exactly.
        Aligned = segments.Count == 0 || segments[^1].CompletesBlock;
    }
}
