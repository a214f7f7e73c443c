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
    public async Task TryWriteAsync_MoreThanTheCapacityOnAnEmptyChannel_TakesEveryBlockOfIt()
    {
        ClusteringPipeline sut = CreateSut(capacity: 4);
        float[] points = [.. Enumerable.Range(1, 10).SelectMany(i => new[] { (float)i, -i })];

        Task<WriteResult?> write = sut.Writer.TryWriteAsync(points, 2, TimeSpan.Zero);

        // The reservation of 10 points overdraws the budget of 4; the blocks spend it without waiting.
        Assert.True(write.IsCompleted);
        Assert.Equal(new(10, 0), await write);
        Assert.Equal(10, sut.Ingest.PointsQueued);
    }

    [Fact]
    public async Task TryWriteAsync_Room_AcceptsValidAndCountsInvalid()
    {
        ClusteringPipeline sut = CreateSut(capacity: 4);

        WriteResult? result = await sut.Writer.TryWriteAsync(new[] { 1f, 2f, float.NaN, 0f, 3f, 4f }, 2, TimeSpan.Zero);

        Assert.Equal(new(2, 1), result);
        Assert.Equal(1, sut.Ingest.Counters("writer").Rejected);
    }

    [Fact]
    public async Task WriteAsync_AllValidAcrossSeveralBlocks_KeepsEveryPointInOrderAndCountsThem()
    {
        ClusteringPipeline sut = CreateSut(capacity: 100);
        await sut.Writer.WriteAsync(new float[] { 0, 0 }, 2);
        float[] points = [.. Enumerable.Range(1, 10).SelectMany(i => new[] { (float)i, -i })];

        WriteResult result = await sut.Writer.WriteAsync(points, 2);

        Assert.Equal(new(10, 0), result);
        Assert.Equal(11, sut.Ingest.Counters("writer").Received);
        var read = new List<float>();
        while (sut.Ingest.Reader.TryRead(out PointBlock? block))
        {
            Assert.True(block.Count <= 2);
            Assert.Equal(read.Count / 2 + block.Count, block.RecordsThrough);
            read.AddRange(block.Points.ToArray());
            block.Return();
        }

        Assert.Equal([0f, 0f, .. points], read);
    }

    [Theory]
    [InlineData(float.NaN, "value 0 (zero-based) is NaN")]
    [InlineData(float.PositiveInfinity, "value 0 (zero-based) is infinite")]
    [InlineData(1e30f, "exceeds")]
    public async Task WriteAsync_OneBadPointAmongMany_RejectsOnlyItWithItsReason(float bad, string reason)
    {
        var deadLetters = new RecordingDeadLetterSink();
        ClusteringPipeline sut = CreateSut(capacity: 1000, deadLetters);
        await sut.Writer.WriteAsync(new float[] { 0, 0 }, 2);
        float[] points = [.. Enumerable.Range(0, 80).Select(i => (float)i)];
        points[40] = bad;

        WriteResult result = await sut.Writer.WriteAsync(points, 2);

        Assert.Equal(new(39, 1), result);
        Assert.Contains(reason, Assert.Single(deadLetters.Records).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_BadPointInALaterBlock_KeepsEveryOtherPointInOrder()
    {
        var deadLetters = new RecordingDeadLetterSink();
        ClusteringPipeline sut = CreateSut(capacity: 1000, deadLetters);
        await sut.Writer.WriteAsync(new float[] { 0, 0 }, 2);
        float[] points = [.. Enumerable.Range(1, 20).Select(i => (float)i)];
        points[13] = float.NaN; // the second value of the seventh point, in the fourth block of two

        WriteResult result = await sut.Writer.WriteAsync(points, 2);

        Assert.Equal(new(9, 1), result);
        Assert.Equal(11, sut.Ingest.Counters("writer").Received);
        Assert.Equal(1, sut.Ingest.Counters("writer").Rejected);
        var read = new List<float>();
        while (sut.Ingest.Reader.TryRead(out PointBlock? block))
        {
            read.AddRange(block.Points.ToArray());
            block.Return();
        }

        Assert.Equal([0f, 0f, .. points[..12], .. points[14..]], read);
        Assert.Contains("value 1 (zero-based) is NaN", Assert.Single(deadLetters.Records).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TryWriteAsync_BadPointInALaterBlock_ReservesAndQueuesOnlyTheGoodOnes()
    {
        ClusteringPipeline sut = CreateSut(capacity: 1000);
        await sut.Writer.WriteAsync(new float[] { 0, 0 }, 2);
        float[] points = [.. Enumerable.Range(1, 20).Select(i => (float)i)];
        points[13] = float.PositiveInfinity;

        WriteResult? result = await sut.Writer.TryWriteAsync(points, 2, TimeSpan.Zero);

        Assert.Equal(new(9, 1), result);
        Assert.Equal(10, sut.Ingest.PointsQueued);
        var read = new List<float>();
        long records = 0;
        while (sut.Ingest.Reader.TryRead(out PointBlock? block))
        {
            Assert.True(block.Count > 0);
            Assert.True(block.RecordsThrough > records);
            records = block.RecordsThrough;
            read.AddRange(block.Points.ToArray());
            block.Return();
        }

        Assert.Equal([0f, 0f, .. points[..12], .. points[14..]], read);
        Assert.Equal(11, records);
    }

    private ClusteringPipeline CreateSut(int capacity, RecordingDeadLetterSink? deadLetters = null) => new(
        new StreamingClustersOptions { Clusters = 2, ChannelCapacity = capacity, BlockSize = 2, MaxAbsoluteValue = 1e20 },
        deadLetters ?? new RecordingDeadLetterSink(),
        _time,
        NullLoggerFactory.Instance);
}
