using System.Buffers;

namespace StreamingClusters.Ingest;

/// <summary>
/// The unit that crosses the ingest channel: up to <see cref="Capacity"/> points of one source in one
/// pooled, row-major float buffer, with their provenance. Nothing crosses a channel one point at a
/// time. The stage that consumes a block returns its buffer with <see cref="Return"/>.
/// </summary>
public sealed class PointBlock
{
    private float[]? _buffer;

    internal PointBlock(SourceCounters source, int dimensions, int capacity, ArrayPool<float> buffers)
    {
        Debug.Assert(dimensions > 0 && capacity > 0);
        Source = source;
        Dimensions = dimensions;
        Capacity = capacity;
        Buffers = buffers;
        _buffer = buffers.Rent(dimensions * capacity);
    }

    /// <summary>Gets the pool the buffer came from and goes back to (the batch that takes it over returns it there).</summary>
    internal ArrayPool<float> Buffers { get; }

    /// <summary>Gets the source the points came from (its counters carry its name).</summary>
    public SourceCounters Source { get; }

    /// <summary>Gets the dimension d.</summary>
    public int Dimensions { get; }

    /// <summary>Gets the most points the block holds.</summary>
    public int Capacity { get; }

    /// <summary>Gets the number of points in the block.</summary>
    public int Count { get; private set; }

    /// <summary>Gets a value indicating whether no more points fit.</summary>
    public bool IsFull => Count == Capacity;

    /// <summary>
    /// Gets the source's resume position just past the last record this block accounts for (a byte
    /// offset in a file), or −1 where the source cannot be replayed.
    /// </summary>
    public long EndPosition { get; internal set; } = -1;

    /// <summary>Gets the number of records the source had read, good and rejected, through this block.</summary>
    public long RecordsThrough { get; internal set; }

    /// <summary>Gets the number of records the source had rejected through this block.</summary>
    public long RejectedThrough { get; internal set; }

    /// <summary>Gets the points, <see cref="Count"/> × <see cref="Dimensions"/> values.</summary>
    public ReadOnlySpan<float> Points => Buffer.AsSpan(0, Count * Dimensions);

    private float[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PointBlock), "The block's buffer was returned to the pool.");

    /// <summary>Returns the slot of the next point, to be filled and then kept with <see cref="Commit()"/>.</summary>
    /// <returns>A span of d values.</returns>
    internal Span<float> NextSlot()
    {
        Debug.Assert(!IsFull);
        return Buffer.AsSpan(Count * Dimensions, Dimensions);
    }

    /// <summary>Keeps the point written to <see cref="NextSlot"/>.</summary>
    internal void Commit() => Count++;

    /// <summary>Returns the slots of the next <paramref name="points"/> points, to be filled and then kept with <see cref="Commit(int)"/>.</summary>
    /// <param name="points">At most the room left.</param>
    /// <returns>A span of points × d values.</returns>
    internal Span<float> NextSlots(int points)
    {
        Debug.Assert(points <= Capacity - Count);
        return Buffer.AsSpan(Count * Dimensions, points * Dimensions);
    }

    /// <summary>Keeps the points written to <see cref="NextSlots"/>.</summary>
    /// <param name="points">Their number.</param>
    internal void Commit(int points) => Count += points;

    /// <summary>Hands the pooled buffer over to a new owner (who returns it to the pool); the block must not be used afterwards.</summary>
    /// <returns>The buffer, holding <see cref="Count"/> points from its start.</returns>
    internal float[] TakeBuffer() => Interlocked.Exchange(ref _buffer, null) ?? throw new ObjectDisposedException(nameof(PointBlock), "The block's buffer was returned to the pool.");

    /// <summary>Returns the buffer to the pool; the block must not be used afterwards.</summary>
    public void Return()
    {
        float[]? buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            Buffers.Return(buffer);
        }
    }
}
