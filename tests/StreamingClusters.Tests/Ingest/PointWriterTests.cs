using StreamingClusters.Ingest;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Options;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.Ingest;

/// <summary>
/// The all-or-nothing write behind the worker's POST /points 503: a pipeline that is not run has a
/// stalled consumer, so a full channel stays full deterministically.
/// </summary>
public sealed class PointWriterTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task TryWriteAsync_ChannelStaysFull_ReturnsNullAndTakesNothing()
    {
        ClusteringPipeline sut = CreateSut(capacity: 4);
        Assert.Equal(new(4, 0), await sut.Writer.TryWriteAsync(new float[8], 2, TimeSpan.FromSeconds(1)));

        Task<WriteResult?> second = sut.Writer.TryWriteAsync(new float[] { 1, 2, 3, 4 }, 2, TimeSpan.FromSeconds(1));
        Assert.False(second.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Null(await second);
        Assert.Equal(4, sut.Ingest.Counters("writer").Received);
        Assert.Equal(4, sut.Ingest.PointsQueued);
    }

    [Fact]
    public async Task TryWriteAsync_Room_AcceptsValidAndCountsInvalid()
    {
        ClusteringPipeline sut = CreateSut(capacity: 4);

        WriteResult? result = await sut.Writer.TryWriteAsync(new[] { 1f, 2f, float.NaN, 0f, 3f, 4f }, 2, TimeSpan.Zero);

        Assert.Equal(new(2, 1), result);
        Assert.Equal(1, sut.Ingest.Counters("writer").Rejected);
    }

    private ClusteringPipeline CreateSut(int capacity) => new(
        new StreamingClustersOptions { Clusters = 2, ChannelCapacity = capacity, BlockSize = 2 },
        new RecordingDeadLetterSink(),
        _time,
        NullLoggerFactory.Instance);
}
