using System.Threading.Channels;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Sources;
using StreamingClusters.Tests.Sinks;

namespace StreamingClusters.Tests.Sources;

/// <summary>What one block carried out of a source.</summary>
internal sealed record BlockSeen(int Count, long EndPosition, long RecordsThrough);

/// <summary>Everything a source produced in one run.</summary>
internal sealed class SourceRunResult(SourceCounters counters, CollectingDeadLetterSink deadLetters)
{
    public List<float[]> Points { get; } = [];

    public List<BlockSeen> Blocks { get; } = [];

    public IReadOnlyList<RejectedRecord> Rejected => deadLetters.Records;

    public SourceCounters Counters { get; } = counters;

    public Exception? Error { get; set; }

    /// <summary>The position the last block carried: where a restart resumes.</summary>
    public long LastPosition => Blocks.Count == 0 ? -1 : Blocks[^1].EndPosition;
}

/// <summary>Runs a source into a real <see cref="IngestStage"/> and reads back its blocks.</summary>
internal static class SourceHarness
{
    public static StreamingClustersOptions Options(int blockSize = 4, int channelBlocks = 2, int maxRecordLength = 1024) => new()
    {
        BlockSize = blockSize,
        ChannelCapacity = blockSize * channelBlocks,
        MaxRecordLength = maxRecordLength,
    };

    /// <summary>Runs the source to its end, or its failure (kept in <see cref="SourceRunResult.Error"/>), draining the channel meanwhile.</summary>
    public static async Task<SourceRunResult> RunAsync(
        IPointSource source,
        StreamingClustersOptions? options = null,
        CollectingDeadLetterSink? deadLetters = null,
        CancellationToken cancellationToken = default)
    {
        deadLetters ??= new CollectingDeadLetterSink();
        var stage = new IngestStage(options ?? Options(), deadLetters);
        SourceIngest ingest = stage.Open(source.Name);
        var result = new SourceRunResult(ingest.Counters, deadLetters);
        Task drain = DrainAsync(stage, result);
        try
        {
            await source.RunAsync(ingest, cancellationToken);
        }
        catch (Exception e)
        {
            result.Error = e;
        }
        finally
        {
            stage.Complete();
        }

        await drain;
        return result;
    }

    /// <summary>Reads blocks until the channel completes, counting their points as applied.</summary>
    public static async Task DrainAsync(IngestStage stage, SourceRunResult into)
    {
        ChannelReader<PointBlock> reader = stage.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out PointBlock? block))
            {
                stage.Consumed(block);
                Take(block, into);
            }
        }
    }

    public static void Take(PointBlock block, SourceRunResult into)
    {
        ReadOnlySpan<float> points = block.Points;
        for (int i = 0; i < block.Count; i++)
        {
            into.Points.Add(points.Slice(i * block.Dimensions, block.Dimensions).ToArray());
        }

        into.Blocks.Add(new BlockSeen(block.Count, block.EndPosition, block.RecordsThrough));
        block.Source.AddApplied(block.Count);
        block.Return();
    }

    /// <summary>A file source, with a chosen read buffer size, and parsed on several threads in chunks of a chosen size when <paramref name="parseThreads"/> is above 1.</summary>
    public static FileSource FileSource(
        string path,
        SourceOptions source,
        StreamingClustersOptions options,
        int bufferSize = Utf8LineReader.DefaultBufferSize,
        int parseThreads = 1,
        int chunkSize = ParallelLineParser.DefaultChunkSize) =>
        new(source.Name ?? "file", path, () => File.OpenRead(path), PointSourceFactory.ParserFor(source, "StreamingClusters:Sources:0"), options.MaxRecordLength, bufferSize, parseThreads, chunkSize);

    /// <summary>A source over a stream that cannot be replayed, read as standard input is.</summary>
    public static FileSource StreamSource(Func<Stream> open, SourceOptions source, StreamingClustersOptions options, int bufferSize = Utf8LineReader.DefaultBufferSize) =>
        new(source.Name ?? "stream", null, open, PointSourceFactory.ParserFor(source, "StreamingClusters:Sources:0"), options.MaxRecordLength, bufferSize);
}
