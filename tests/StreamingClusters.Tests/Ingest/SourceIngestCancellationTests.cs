using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Tests.Sinks;

namespace StreamingClusters.Tests.Ingest;

public sealed class SourceIngestCancellationTests
{
    [Fact]
    public async Task FlushAsync_CancelledWhileTheChannelIsFull_KeepsTheBlockForTheFinalFlush()
    {
        var stage = new IngestStage(new StreamingClustersOptions { BlockSize = 2, ChannelCapacity = 2 }, new CollectingDeadLetterSink());
        SourceIngest sut = stage.Open("s");
        sut.Accept([1f], "1", 1, 10);
        sut.Accept([2f], "2", 2, 20);
        await sut.FlushAsync(CancellationToken.None);
        sut.Accept([3f], "3", 3, 30);
        sut.Accept([4f], "4", 4, 40);
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sut.FlushAsync(cancel.Token).AsTask());
        Assert.True(stage.Reader.TryRead(out PointBlock? first));
        stage.Consumed(first);
        await sut.FlushAsync(CancellationToken.None);
        Assert.True(stage.Reader.TryRead(out PointBlock? second));

        Assert.Equal([3f, 4f], second.Points.ToArray());
        Assert.Equal((40L, 4L), (second.EndPosition, second.RecordsThrough));
        first.Return();
        second.Return();
    }

    [Fact]
    public async Task FlushAsync_CancelledWithOnlyARejectionPending_ItsPositionTravelsWithoutWaitingForRoom()
    {
        var stage = new IngestStage(new StreamingClustersOptions { BlockSize = 1, ChannelCapacity = 1 }, new CollectingDeadLetterSink());
        SourceIngest sut = stage.Open("s");
        sut.Accept([1f], "1", 1, 10);
        await sut.FlushAsync(CancellationToken.None);
        sut.Reject(2, "bad", "x", 20);
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sut.FlushAsync(cancel.Token).AsTask());
        Assert.True(stage.Reader.TryRead(out PointBlock? first));

        // The channel is still full, but a block with no points takes no room: the position travels.
        await sut.FlushAsync(CancellationToken.None);
        Assert.True(stage.Reader.TryRead(out PointBlock? carrier));

        Assert.Equal((0, 20L, 2L), (carrier.Count, carrier.EndPosition, carrier.RecordsThrough));
        first.Return();
        carrier.Return();
    }
}
