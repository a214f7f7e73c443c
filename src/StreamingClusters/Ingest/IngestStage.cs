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
        int capacityInBlocks = Math.Max(1, options.ChannelCapacity / options.BlockSize);
        _channel = Channel.CreateBounded<PointBlock>(new BoundedChannelOptions(capacityInBlocks)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    /// <summary>Gets the dimension of the stream, once known.</summary>
    public DimensionGate Dimensions { get; }

    /// <summary>Gets the dead-letter sink.</summary>
    public IDeadLetterSink DeadLetters { get; }

    /// <summary>Gets the blocks, for the batching stage.</summary>
    public ChannelReader<PointBlock> Reader => _channel.Reader;

    /// <summary>Gets the number of blocks waiting in the channel.</summary>
    public int Depth => _channel.Reader.Count;

    /// <summary>Gets the counters of every source that has opened, in name order.</summary>
    public IReadOnlyList<SourceCounters> Sources => [.. _sources.Values.OrderBy(s => s.Name, StringComparer.Ordinal)];

    /// <summary>Opens the ingest of one source; each source opens once, under a unique name.</summary>
    /// <param name="name">The source's name.</param>
    /// <returns>The source's ingest.</returns>
    public SourceIngest Open(string name) => new(Counters(name), _channel.Writer, Dimensions, DeadLetters, _options.BlockSize, _options.MaxAbsoluteValue);

    /// <summary>Gets (creating on first use) the counters of a source.</summary>
    /// <param name="name">The source's name.</param>
    /// <returns>Its counters.</returns>
    public SourceCounters Counters(string name) => _sources.GetOrAdd(name, static n => new SourceCounters(n));

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
