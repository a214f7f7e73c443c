using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.Ingest;

public sealed class IngestStageTests
{
    [Fact]
    public async Task Writer_ConsumerStalled_ProducerWaitsOnceTheChannelHoldsItsCapacity()
    {
        var options = new StreamingClustersOptions { Dimensions = 4, BlockSize = 256, ChannelCapacity = 1_024 };
        var ingest = new IngestStage(options, new RecordingDeadLetterSink());
        var writer = new PointWriter(ingest, TimeProvider.System);
        float[] flood = new float[100_000 * 4];

        ValueTask<WriteResult> writing = writer.WriteAsync(flood, 4);

        // Nothing reads the channel: the write stops once the channel holds its capacity.
        Assert.False(writing.IsCompleted);
        Assert.Equal(1_024, ingest.PointsQueued);
        Assert.InRange(ingest.Counters(PointWriter.SourceName).Received, 1_024, 1_024 + 256);

        int drained = 0;
        Task draining = Task.Run(async () =>
        {
            await foreach (PointBlock block in ingest.Reader.ReadAllAsync())
            {
                drained += block.Count;
                ingest.Consumed(block);
                block.Return();
            }
        });
        WriteResult result = await writing;
        ingest.Complete();
        await draining;

        Assert.Equal(new WriteResult(100_000, 0), result);
        Assert.Equal(100_000, drained);
    }

    [Fact]
    public void Accept_WrongDimension_RejectsWithReasonAndCounts()
    {
        var deadLetters = new RecordingDeadLetterSink();
        var ingest = new IngestStage(new StreamingClustersOptions { Dimensions = 3 }, deadLetters);
        SourceIngest source = ingest.Open("s");

        Assert.True(source.Accept([1, 2, 3], "1,2,3", 1, 6));
        Assert.False(source.Accept([1, 2], "1,2", 2, 10));
        Assert.False(source.Accept([1, 2, 1e20f], "1,2,1e20", 3, 20));

        Assert.Equal(3, source.Counters.Received);
        Assert.Equal(2, source.Counters.Rejected);
        Assert.Equal(
            new[] { "expected 3 values, got 2", "value 2 (zero-based) (1.00000002E+20) exceeds the largest accepted magnitude 9.99999987E+14" },
            deadLetters.Records.Select(r => r.Reason));
        Assert.Equal(new long[] { 2, 3 }, deadLetters.Records.Select(r => r.Record));
    }
}
