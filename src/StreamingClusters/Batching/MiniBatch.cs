using System.Buffers;
using StreamingClusters.Ingest;

namespace StreamingClusters.Batching;

/// <summary>
/// Where a run of a mini-batch's points came from. <see cref="CompletesBlock"/> is set on the part that
/// holds a block's last point: only then has the source really reached <see cref="EndPosition"/>.
/// </summary>
/// <param name="Source">The source's counters.</param>
/// <param name="Points">The number of points in this run.</param>
/// <param name="EndPosition">The source's resume position after the block.</param>
/// <param name="RecordsThrough">Records the source had read through the block.</param>
/// <param name="RejectedThrough">Records the source had rejected through the block.</param>
/// <param name="CompletesBlock">Whether this run ends its block.</param>
public readonly record struct BatchSegment(SourceCounters Source, int Points, long EndPosition, long RecordsThrough, long RejectedThrough, bool CompletesBlock);

/// <summary>
/// One mini-batch: up to B points copied contiguously into a pooled buffer, with the segments that
/// say where they came from. Owned by one stage at a time; the M-step returns it.
/// </summary>
public sealed class MiniBatch
{
    private readonly List<BatchSegment> _segments = [];
    private readonly ArrayPool<float> _buffers;
    private float[]? _buffer;

    /// <summary>Creates an empty batch with room for <paramref name="capacity"/> points.</summary>
    /// <param name="dimensions">The dimension d.</param>
    /// <param name="capacity">The batch size B.</param>
    /// <param name="sequence">The batch's number in the stream, from 1.</param>
    public MiniBatch(int dimensions, int capacity, long sequence)
        : this(dimensions, capacity, sequence, ArrayPool<float>.Shared)
    {
    }

    /// <summary>Creates an empty batch whose buffer comes from, and goes back to, <paramref name="buffers"/>.</summary>
    internal MiniBatch(int dimensions, int capacity, long sequence, ArrayPool<float> buffers)
    {
        Dimensions = dimensions;
        Capacity = capacity;
        Sequence = sequence;
        _buffers = buffers;
        _buffer = buffers.Rent(dimensions * capacity);
    }

    private MiniBatch(PointBlock block, long sequence)
    {
        Dimensions = block.Dimensions;
        Capacity = block.Count;
        Sequence = sequence;
        Count = block.Count;
        _segments.Add(new BatchSegment(block.Source, block.Count, block.EndPosition, block.RecordsThrough, block.RejectedThrough, CompletesBlock: true));
        _buffers = block.Buffers;
        _buffer = block.TakeBuffer();
    }

    /// <summary>Gets the dimension d.</summary>
    public int Dimensions { get; }

    /// <summary>Gets the most points the batch holds.</summary>
    public int Capacity { get; }

    /// <summary>Gets the batch's number in the stream, from 1.</summary>
    public long Sequence { get; }

    /// <summary>Gets the number of points.</summary>
    public int Count { get; private set; }

    /// <summary>Gets a value indicating whether the batch holds B points.</summary>
    public bool IsFull => Count == Capacity;

    /// <summary>Gets where the points came from, in order.</summary>
    public IReadOnlyList<BatchSegment> Segments => _segments;

    /// <summary>Gets the points, row-major.</summary>
    public ReadOnlySpan<float> Points => Buffer.AsSpan(0, Count * Dimensions);

    /// <summary>Gets the buffer itself, for stages that hand it to parallel workers.</summary>
    internal float[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(MiniBatch));

    /// <summary>Makes a whole block one full batch, taking over its buffer (the block is spent).</summary>
    /// <param name="block">A block of exactly B points.</param>
    /// <param name="sequence">The batch's number in the stream, from 1.</param>
    /// <returns>The batch.</returns>
    public static MiniBatch FromBlock(PointBlock block, long sequence)
    {
        ArgumentNullException.ThrowIfNull(block);
        return new MiniBatch(block, sequence);
    }

    /// <summary>Copies as many of the block's points from <paramref name="offset"/> as fit.</summary>
    /// <param name="block">The block.</param>
    /// <param name="offset">The first point of the block not yet batched.</param>
    /// <returns>The number of points taken.</returns>
    public int Take(PointBlock block, int offset)
    {
        ArgumentNullException.ThrowIfNull(block);
        int n = Math.Min(Capacity - Count, block.Count - offset);
        int d = Dimensions;
        block.Points.Slice(offset * d, n * d).CopyTo(Buffer.AsSpan(Count * d));
        Count += n;
        bool completes = offset + n == block.Count;
        _segments.Add(new BatchSegment(block.Source, n, block.EndPosition, block.RecordsThrough, block.RejectedThrough, completes));
        return n;
    }

    /// <summary>Appends all of another batch's points and segments (the seeding buffer is applied as one batch).</summary>
    /// <param name="other">A batch of the same dimension that fits.</param>
    public void Append(MiniBatch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Debug.Assert(other.Dimensions == Dimensions && Count + other.Count <= Capacity);
        other.Points.CopyTo(Buffer.AsSpan(Count * Dimensions));
        Count += other.Count;
        _segments.AddRange(other._segments);
    }

    /// <summary>Returns the buffer to the pool.</summary>
    public void Return()
    {
        float[]? buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            _buffers.Return(buffer);
        }
    }
}
