using System.Buffers;
using System.Numerics;
using System.Threading.Channels;
using StreamingClusters.Sinks;

namespace StreamingClusters.Ingest;

/// <summary>
/// The ingest stage as one source sees it: parsed records go in one at a time, are validated, and
/// leave packed in blocks through the bounded channel. Rejected records are counted and
/// dead-lettered here, so every source follows the same accounting. Used by one thread at a time.
/// </summary>
public sealed class SourceIngest
{
    /// <summary>The longest raw text of a rejected record that is kept, in characters (in bytes for UTF-8 records).</summary>
    internal const int MaxRawLength = 1024;
    private readonly ChannelWriter<PointBlock> _channel;
    private readonly PointBudget _budget;
    private readonly DimensionGate _gate;
    private readonly IDeadLetterSink _deadLetters;
    private readonly int _blockSize;
    private readonly float _maxAbsoluteValue;
    private readonly ArrayPool<float> _buffers;
    private PointBlock? _block;

    /// <summary>Set once the source has reported a position that no block has carried yet.</summary>
    private bool _positionPending;
    private long _position = -1;
    private long _records;

    /// <summary>Points already taken from the channel's capacity by <see cref="ReserveAsync"/>, spent by the next flushes.</summary>
    private int _reserved;

    internal SourceIngest(
        SourceCounters counters,
        ChannelWriter<PointBlock> channel,
        PointBudget budget,
        ArrayPool<float> buffers,
        DimensionGate gate,
        IDeadLetterSink deadLetters,
        int blockSize,
        float maxAbsoluteValue)
    {
        Counters = counters;
        _channel = channel;
        _budget = budget;
        _buffers = buffers;
        _gate = gate;
        _deadLetters = deadLetters;
        _blockSize = blockSize;
        _maxAbsoluteValue = maxAbsoluteValue;
    }

    /// <summary>Gets the source's counters.</summary>
    public SourceCounters Counters { get; }

    /// <summary>Gets the source's name.</summary>
    public string Name => Counters.Name;

    /// <summary>Gets the dimension d, or 0 while no valid record has fixed it.</summary>
    public int Dimensions => _gate.Dimensions;

    /// <summary>Names the stream's values as this source knows them, unless another source has named them first.</summary>
    /// <param name="names">The names, in the order of a record's values.</param>
    internal void ProposeColumnNames(IReadOnlyList<string> names) => _gate.ProposeColumnNames(names);

    /// <summary>Gets a value indicating whether the current block is full and must be flushed before the next record.</summary>
    public bool MustFlush => _block is { IsFull: true };

    /// <summary>Gets the number of records (good and rejected) this source has handed in.</summary>
    public long Records => _records;

    /// <summary>
    /// Takes room for <paramref name="points"/> points in the channel, all or nothing, waiting at most
    /// <paramref name="wait"/>; the next flushes spend it instead of waiting.
    /// </summary>
    /// <param name="points">The points about to be handed in.</param>
    /// <param name="wait">How long to wait for room.</param>
    /// <param name="time">The clock for the wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when the room was taken.</returns>
    internal async Task<bool> ReserveAsync(int points, TimeSpan wait, TimeProvider time, CancellationToken cancellationToken)
    {
        Debug.Assert(_reserved == 0, "A reservation is spent before the next one is taken.");
        if (!await _budget.TryAcquireAsync(points, wait, time, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        _reserved = points;
        return true;
    }

    /// <summary>Starts counting from a checkpointed position, before the first record.</summary>
    /// <param name="records">Records the source had read.</param>
    /// <param name="position">Its resume position.</param>
    internal void ResumeAt(long records, long position)
    {
        _records = records;
        _position = position;
    }

    /// <summary>
    /// Hands in one parsed record. It becomes a point if it has d finite values within range; otherwise
    /// it is rejected with the reason. When <see cref="MustFlush"/> turns true, await <see cref="FlushAsync"/>.
    /// </summary>
    /// <param name="values">The parsed values.</param>
    /// <param name="raw">The record's text, kept only if it is rejected; empty to keep the values as text.</param>
    /// <param name="line">Its position for people: a line number, from 1.</param>
    /// <param name="endPosition">The source's resume position just past it, or −1.</param>
    /// <returns><see langword="true"/> when the record became a point.</returns>
    public bool Accept(ReadOnlySpan<float> values, ReadOnlySpan<char> raw, long line, long endPosition)
    {
        Debug.Assert(!MustFlush, "Flush a full block before handing in the next record.");
        int d = _gate.Dimensions;
        string? problem = null;
        if (d == 0)
        {
            // The first valid record of the stream fixes its dimension.
            problem = values.IsEmpty ? "no values" : PointValidator.Check(values, values.Length, _maxAbsoluteValue);
            d = problem is null ? _gate.Propose(values.Length) : 0;
        }

        problem ??= PointValidator.Check(values, d, _maxAbsoluteValue);
        if (problem is not null)
        {
            Reject(line, problem, raw.IsEmpty ? FormatValues(values) : raw, endPosition);
            return false;
        }

        _block ??= new PointBlock(Counters, d, _blockSize, _buffers);
        values.CopyTo(_block.NextSlot());
        _block.Commit();
        Advance(endPosition);
        return true;
    }

    /// <summary>
    /// Hands in one parsed record as <see cref="Accept"/> does, with its raw text as UTF-8 bytes
    /// (valid UTF-8), decoded only if the record is rejected.
    /// </summary>
    /// <param name="values">The parsed values.</param>
    /// <param name="rawUtf8">The record's text.</param>
    /// <param name="line">Its position for people: a line number, from 1.</param>
    /// <param name="endPosition">The source's resume position just past it, or −1.</param>
    /// <returns><see langword="true"/> when the record became a point.</returns>
    internal bool AcceptUtf8(ReadOnlySpan<float> values, ReadOnlySpan<byte> rawUtf8, long line, long endPosition)
    {
        int d = _gate.Dimensions;
        if (d != 0 && values.Length == d && !MustFlush && TryAppend(values, 1, endPosition))
        {
            return true;
        }

        return Accept(values, System.Text.Encoding.UTF8.GetString(rawUtf8), line, endPosition);
    }

    /// <summary>Gets how many points still fit in the current block before it must be flushed.</summary>
    internal int Room => _block is { } block ? block.Capacity - block.Count : _blockSize;

    /// <summary>
    /// Hands in a run of consecutive records at once, when every one of them becomes a point: the
    /// dimension is known, each has d values and all are within range. Otherwise nothing is handed in,
    /// and the caller hands them in one by one (with <see cref="Accept"/>), which rejects the bad ones.
    /// </summary>
    /// <param name="values">The records' values, <paramref name="points"/> × d, in order.</param>
    /// <param name="points">How many records; at most <see cref="Room"/>.</param>
    /// <param name="endPosition">The source's resume position just past the last of them, or −1.</param>
    /// <returns><see langword="true"/> when all became points.</returns>
    internal bool TryAcceptAll(ReadOnlySpan<float> values, int points, long endPosition)
    {
        int d = _gate.Dimensions;
        return d != 0 && points > 0 && points <= Room && values.Length == points * d && TryAppend(values, points, endPosition);
    }

    /// <summary>
    /// Copies <paramref name="points"/> whole points of the dimension in force into the current block,
    /// checking every value within range as it goes (one pass), and counts them, when all pass; otherwise
    /// nothing is committed and the slots written are taken by the next points. The caller has made sure
    /// they fit.
    /// </summary>
    private bool TryAppend(ReadOnlySpan<float> values, int points, long endPosition)
    {
        PointBlock block = _block ?? new PointBlock(Counters, _gate.Dimensions, _blockSize, _buffers);
        if (!PointValidator.CopyIfAllWithin(values, block.NextSlots(points), _maxAbsoluteValue))
        {
            // A current block always holds a point: a new one that took none goes back at once.
            if (_block is null)
            {
                block.Return();
            }

            return false;
        }

        _block = block;
        _block.Commit(points);
        _records += points;
        Counters.AddReceived(points);
        _position = endPosition;
        _positionPending = true;
        return true;
    }

    /// <summary>
    /// Hands in whole points of the dimension in force, as many as fit in the current block, when every
    /// value of those is within range (checked while they are copied); they are counted together. When
    /// <see cref="MustFlush"/> turns true, await <see cref="FlushAsync"/> and hand in the rest.
    /// </summary>
    /// <param name="points">Whole points of the dimension in force.</param>
    /// <param name="endPosition">The source's resume position just past the last point taken, or −1.</param>
    /// <returns>The number of points taken; 0 when one of those that fit has a value out of range (none is taken then).</returns>
    internal int AcceptRun(ReadOnlySpan<float> points, long endPosition)
    {
        Debug.Assert(!MustFlush, "Flush a full block before handing in the next records.");
        int d = _gate.Dimensions;
        Debug.Assert(d > 0 && points.Length % d == 0);
        int n = Math.Min(points.Length / d, Room);
        return TryAppend(points[..(n * d)], n, endPosition) ? n : 0;
    }

    /// <summary>Rejects a record: counts it and sends it to the dead-letter sink.</summary>
    /// <param name="line">Its position for people: a line number, from 1.</param>
    /// <param name="reason">Why, in words.</param>
    /// <param name="raw">The record's text.</param>
    /// <param name="endPosition">The source's resume position just past it, or −1.</param>
    public void Reject(long line, string reason, ReadOnlySpan<char> raw, long endPosition)
    {
        Counters.AddRejected(1);
        ReadOnlySpan<char> kept = raw.Length > MaxRawLength ? raw[..MaxRawLength] : raw;
        _deadLetters.Write(new RejectedRecord(Name, line, reason, kept.ToString()));
        Advance(endPosition);
    }

    /// <summary>Rejects a record given as UTF-8 bytes (invalid sequences are shown as U+FFFD).</summary>
    /// <param name="line">Its position for people: a line number, from 1.</param>
    /// <param name="reason">Why, in words.</param>
    /// <param name="rawUtf8">The record's bytes.</param>
    /// <param name="endPosition">The source's resume position just past it, or −1.</param>
    public void Reject(long line, string reason, ReadOnlySpan<byte> rawUtf8, long endPosition)
    {
        ReadOnlySpan<byte> kept = rawUtf8.Length > MaxRawLength ? rawUtf8[..MaxRawLength] : rawUtf8;
        Reject(line, reason, System.Text.Encoding.UTF8.GetString(kept), endPosition);
    }

    /// <summary>
    /// Sends the current block, even if not full, into the channel, waiting while the channel is full.
    /// A source calls it when a block fills, when input goes idle, and at its end, so that the resume
    /// position of trailing rejected records also travels.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for room; the block then stays for the next flush.</param>
    /// <returns>A task that completes when the block is in the channel.</returns>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        PointBlock? block = _block;
        if (block is null)
        {
            if (!_positionPending || _gate.Dimensions == 0)
            {
                return;
            }

            // Only rejected records since the last block: an empty block carries their position.
            block = new PointBlock(Counters, _gate.Dimensions, 1, _buffers);
        }

        block.EndPosition = _position;
        block.RecordsThrough = _records;
        block.RejectedThrough = Counters.Rejected;
        _block = null;
        _positionPending = false;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            int fromReserve = Math.Min(_reserved, block.Count);
            await _budget.AcquireAsync(block.Count - fromReserve, cancellationToken).ConfigureAwait(false);
            _reserved -= fromReserve;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled while waiting for room: keep the points and the position for the source's
            // final flush (with CancellationToken.None), so that nothing received is lost.
            _positionPending = true;
            if (block.Count > 0)
            {
                _block = block;
            }
            else
            {
                block.Return();
            }

            throw;
        }

        if (!_channel.TryWrite(block))
        {
            // The pipeline has closed its input (it failed or stopped): these points will not be applied.
            _budget.Release(block.Count);
            block.Return();
            throw new ChannelClosedException("The pipeline no longer accepts points.");
        }
    }

    private static string FormatValues(ReadOnlySpan<float> values)
    {
        var text = new System.Text.StringBuilder();
        foreach (float v in values[..Math.Min(values.Length, 256)])
        {
            text.Append(text.Length == 0 ? string.Empty : ",").Append(v.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private void Advance(long endPosition)
    {
        _records++;
        Counters.AddReceived(1);
        _position = endPosition;
        _positionPending = true;
    }
}
