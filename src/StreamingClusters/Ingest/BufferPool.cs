using System.Buffers;
using System.Collections.Concurrent;

namespace StreamingClusters.Ingest;

/// <summary>
/// The pipeline's own pool of point buffers: the few sizes it uses (a block, a batch, the seeding
/// buffer), each kept up to a bound. A buffer is rented at exactly the length asked for and handed back
/// whole, so one size is one shelf. Lock-free (a queue per size): a thread that loses its core while it
/// rents or returns never holds the others up, which matters when the writer and the model share a core.
/// </summary>
/// <remarks>
/// The shared pool keeps a few dozen buffers per size and core; a full channel holds hundreds of blocks,
/// so that most blocks after the first channelful would otherwise be new memory for the collector
/// (12 bytes per point at d = 16 and blocks of 1,024, measured). Buffers are not cleared: every stage
/// reads only the points written into them.
/// </remarks>
internal sealed class BufferPool : ArrayPool<float>
{
    private readonly ConcurrentDictionary<int, Shelf> _shelves = new();
    private readonly int _perSize;
    private long _created;

    /// <summary>Creates a pool that keeps up to <paramref name="perSize"/> buffers of each length.</summary>
    /// <param name="perSize">The most buffers of one length kept; those returned beyond it are left to the collector.</param>
    public BufferPool(int perSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSize);
        _perSize = perSize;
    }

    /// <summary>Gets the number of buffers made so far (rents that found none kept).</summary>
    public long Created => Volatile.Read(ref _created);

    /// <summary>Gets a buffer of exactly <paramref name="minimumLength"/> values, kept or new (not cleared).</summary>
    public override float[] Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        if (_shelves.TryGetValue(minimumLength, out Shelf? shelf) && shelf.Buffers.TryDequeue(out float[]? buffer))
        {
            Interlocked.Decrement(ref shelf.Count);
            return buffer;
        }

        Interlocked.Increment(ref _created);
        return GC.AllocateUninitializedArray<float>(minimumLength);
    }

    /// <summary>Keeps <paramref name="array"/> for the next rent of its length, unless its shelf is full.</summary>
    public override void Return(float[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (clearArray)
        {
            Array.Clear(array);
        }

        Shelf shelf = _shelves.GetOrAdd(array.Length, static _ => new Shelf());
        if (Interlocked.Increment(ref shelf.Count) <= _perSize)
        {
            shelf.Buffers.Enqueue(array);
        }
        else
        {
            Interlocked.Decrement(ref shelf.Count);
        }
    }

    private sealed class Shelf
    {
        public readonly ConcurrentQueue<float[]> Buffers = new();
        public int Count;
    }
}
