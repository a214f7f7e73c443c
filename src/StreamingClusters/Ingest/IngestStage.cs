using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Channels;
using StreamingClusters.Options;
using StreamingClusters.Sinks;

namespace StreamingClusters.Ingest;

/// <summary>
/// The head of the pipeline: the bounded channel of point blocks that every source writes into, the
/// dimension gate, and the per-source accounting. Its capacity is set in points; when it is full,
/// sources wait, so a source faster than the model is slowed down, never buffered without limit.
/// </summary>
public sealed class IngestStage
{
    private readonly Channel<PointBlock> _channel;
    private readonly ConcurrentDictionary<string, SourceCounters> _sources = new(StringComparer.Ordinal);
    private readonly StreamingClustersOptions _options;
    private readonly Lock _sourcesGate = new();

    /// <summary>The counters in name order, replaced (never changed) when a source opens: read once per snapshot.</summary>
    private SourceCounters[] _sorted = [];

    /// <summary>Creates the stage.</summary>
    /// <param name="options">The pipeline's settings.</param>
    /// <param name="deadLetters">Where rejected records go.</param>
    public IngestStage(StreamingClustersOptions options, IDeadLetterSink deadLetters)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(deadLetters);
        _options = options;
        DeadLetters = deadLetters;
        Dimensions = new DimensionGate(options.Dimensions > 0 ? options.Dimensions : options.InitialCentroids?.FirstOrDefault()?.Length ?? 0);
        // The channel is bounded in points by the budget, which sources wait on before writing.
        Budget = new PointBudget(options.ChannelCapacity);
        Buffers = CreateBuffers(options);
        MaxAbsoluteValue = (float)options.MaxAbsoluteValue;
        _channel = Channel.CreateUnbounded<PointBlock>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    }

    /// <summary>
    /// Gets the largest absolute coordinate a point may have to be taken in, read from the settings once:
    /// every source and the in-process writer check against this value, and the E-step relies on it.
    /// </summary>
    public float MaxAbsoluteValue { get; }

    /// <summary>Gets the dimension of the stream, once known.</summary>
    public DimensionGate Dimensions { get; }

    /// <summary>Gets the dead-letter sink.</summary>
    public IDeadLetterSink DeadLetters { get; }

    /// <summary>Gets the blocks, for the batching stage.</summary>
    public ChannelReader<PointBlock> Reader => _channel.Reader;

    /// <summary>Gets the number of points in the channel (taken from its capacity and not yet batched).</summary>
    public long PointsQueued => Budget.InUse;

    /// <summary>Gets the channel's capacity in points.</summary>
    internal PointBudget Budget { get; }

    /// <summary>
    /// Gets the pool of the blocks' and batches' buffers (<see cref="BufferPool"/>). It keeps as many of a
    /// size as the channel, the seeding buffer and the stages around them hold at once, so that the stream,
    /// once under way, takes no new memory for its points.
    /// </summary>
    internal ArrayPool<float> Buffers { get; }

    /// <summary>Gets the counters of every source that has opened, in name order.</summary>
    public IReadOnlyList<SourceCounters> Sources => Volatile.Read(ref _sorted);

    /// <summary>Opens the ingest of one source; each source opens once, under a unique name.</summary>
    /// <param name="name">The source's name.</param>
    /// <returns>The source's ingest.</returns>
    public SourceIngest Open(string name) => new(Counters(name), _channel.Writer, Budget, Buffers, Dimensions, DeadLetters, _options.BlockSize, MaxAbsoluteValue);

    private static BufferPool CreateBuffers(StreamingClustersOptions options)
    {
        // Blocks in the channel and in the seeding buffer, and a few more: one being filled per source,
        // the batch being filled, the one being applied. Past the bound a returned buffer is left to the
        // collector (at most 4,096 kept per size: tiny blocks in a large channel are cheap to make anyway).
        long blockSize = Math.Max(1, options.BlockSize);
        long held = ((options.ChannelCapacity + blockSize - 1) / blockSize) + ((options.Seeding.BufferSize + blockSize - 1) / blockSize) + 32;
        return new BufferPool((int)Math.Min(held, 4096));
    }

    /// <summary>Takes a block out of the channel's accounting: its points no longer count against the capacity.</summary>
    /// <param name="block">A block just read from <see cref="Reader"/>.</param>
    internal void Consumed(PointBlock block) => Budget.Release(block.Count);

    /// <summary>Gets (creating on first use) the counters of a source.</summary>
    /// <param name="name">The source's name.</param>
    /// <returns>Its counters.</returns>
    public SourceCounters Counters(string name)
    {
        if (_sources.TryGetValue(name, out SourceCounters? known))
        {
            return known;
        }

        lock (_sourcesGate)
        {
            SourceCounters counters = _sources.GetOrAdd(name, static n => new SourceCounters(n));
            Volatile.Write(ref _sorted, [.. _sources.Values.OrderBy(s => s.Name, StringComparer.Ordinal)]);
            return counters;
        }
    }

    /// <summary>Closes the channel: no more blocks; the stages drain what it holds.</summary>
    /// <param name="error">The failure that closes it, if any.</param>
    public void Complete(Exception? error = null)
    {
        _channel.Writer.TryComplete(error);
        if (Dimensions.Dimensions == 0)
        {
            Dimensions.Abandon();
        }
    }
}
