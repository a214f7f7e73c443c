using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.Ingest;

/// <summary>
/// Producers far faster than the model through the in-process writer: writes wait (or, all or nothing,
/// are refused) so that no more than the channel's capacity is ever queued, and every point accepted is
/// applied before the final snapshot — none lost, none counted twice.
/// </summary>
public sealed class PointWriterOverloadTests
{
    private const int Dimensions = 4;
    private const int Capacity = 600;
    private const int PointsPerWrite = 150;

    [Fact]
    public async Task WriteAsync_ProducersWithoutPause_QueueStaysWithinCapacityAndEveryAcceptedPointIsApplied()
    {
        ClusteringPipeline pipeline = CreateSut();
        long mostQueued = 0;
        // On the M-step's thread: what the channel holds each time the model has applied a batch.
        using IDisposable watch = pipeline.Snapshots.Subscribe(_ => InterlockedMax(ref mostQueued, pipeline.Ingest.PointsQueued));
        using var stop = new CancellationTokenSource();
        Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token);

        long waited = 0;
        long tried = 0;
        long refused = 0;
        long triedAccepted = 0;
        float[] points = TestData.Blobs(40 * PointsPerWrite, Dimensions, clusters: 4, seed: 21);

        async Task WaitingProducerAsync(int producer)
        {
            for (int i = producer; i < 40; i += 2)
            {
                WriteResult result = await pipeline.Writer.WriteAsync(points.AsMemory(i * PointsPerWrite * Dimensions, PointsPerWrite * Dimensions), Dimensions);
                Interlocked.Add(ref waited, result.Accepted);
                InterlockedMax(ref mostQueued, pipeline.Ingest.PointsQueued);
            }
        }

        async Task RefusedProducerAsync()
        {
            for (int i = 0; i < 40; i++)
            {
                Interlocked.Increment(ref tried);
                WriteResult? result = await pipeline.Writer.TryWriteAsync(points.AsMemory(i * PointsPerWrite * Dimensions, PointsPerWrite * Dimensions), Dimensions, TimeSpan.Zero);
                if (result is { } written)
                {
                    Interlocked.Add(ref triedAccepted, written.Accepted);
                }
                else
                {
                    Interlocked.Increment(ref refused);
                }

                InterlockedMax(ref mostQueued, pipeline.Ingest.PointsQueued);
            }
        }

        await Task.WhenAll(Task.Run(() => WaitingProducerAsync(0)), Task.Run(() => WaitingProducerAsync(1)), Task.Run(RefusedProducerAsync));
        await stop.CancelAsync();
        await running;

        CentroidSnapshot final = pipeline.Latest!;
        Assert.Equal(40 * PointsPerWrite, waited);
        Assert.Equal((tried - refused) * PointsPerWrite, triedAccepted);
        Assert.Equal(waited + triedAccepted, final.PointsApplied);
        Assert.Equal(waited + triedAccepted, final.PointsReceived);
        Assert.Equal(0, final.PointsInFlight);
        Assert.InRange(mostQueued, 0, Capacity);
    }

    [Fact]
    public async Task TryWriteAsync_FullUntilTheModelRuns_RefusedWritesAreNotCountedAndAcceptedOnesAreApplied()
    {
        ClusteringPipeline pipeline = CreateSut();
        float[] points = TestData.Blobs(Capacity, Dimensions, clusters: 4, seed: 22);
        // Nothing consumes before the pipeline runs: the channel fills to its capacity and stays full.
        Assert.Equal(new(Capacity, 0), await pipeline.Writer.TryWriteAsync(points, Dimensions, TimeSpan.Zero));
        for (int i = 0; i < 5; i++)
        {
            Assert.Null(await pipeline.Writer.TryWriteAsync(points.AsMemory(0, PointsPerWrite * Dimensions), Dimensions, TimeSpan.Zero));
        }

        Assert.Equal(Capacity, pipeline.Ingest.PointsQueued);
        using var stop = new CancellationTokenSource();
        Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token);
        // A waiting write goes in as soon as the model takes points out.
        Assert.Equal(new(PointsPerWrite, 0), await pipeline.Writer.WriteAsync(points.AsMemory(0, PointsPerWrite * Dimensions), Dimensions));
        await stop.CancelAsync();
        await running;

        Assert.Equal(Capacity + PointsPerWrite, pipeline.Latest!.PointsApplied);
        Assert.Equal(Capacity + PointsPerWrite, pipeline.Ingest.Counters(PointWriter.SourceName).Received);
    }

    [Fact]
    public async Task TryWriteAsync_BehindAWriterWaitingForRoom_GivesUpWhenItsOwnWaitHasPassed()
    {
        var time = new FakeTimeProvider();
        ClusteringPipeline pipeline = CreateSut(time);
        float[] points = TestData.Blobs(Capacity, Dimensions, clusters: 4, seed: 23);
        Assert.Equal(new(Capacity, 0), await pipeline.Writer.WriteAsync(points, Dimensions));
        // Nothing consumes (the pipeline is not run): this write waits for room for good, holding the writer's turn.
        Task<WriteResult> waiting = pipeline.Writer.WriteAsync(points.AsMemory(0, PointsPerWrite * Dimensions), Dimensions).AsTask();

        Task<WriteResult?> bounded = pipeline.Writer.TryWriteAsync(points.AsMemory(0, PointsPerWrite * Dimensions), Dimensions, TimeSpan.FromSeconds(2));
        Assert.False(bounded.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));

        // The bound only turns a regression (a bounded write stuck behind the other) into a failure.
        Assert.Null(await bounded.WaitAsync(TimeSpan.FromMinutes(1), TimeProvider.System));
        Assert.False(waiting.IsCompleted);
        Assert.Equal(Capacity, pipeline.Ingest.PointsQueued);
    }

    private static ClusteringPipeline CreateSut(TimeProvider? time = null) => new(
        new StreamingClustersOptions
        {
            Clusters = 4,
            BatchSize = 100,
            BlockSize = 50,
            ChannelCapacity = Capacity,
            Seed = 3,
            Seeding = { BufferSize = 200 },
        },
        new RecordingDeadLetterSink(),
        time ?? new FakeTimeProvider(),
        NullLoggerFactory.Instance,
        ImmediateScheduler.Instance);

    private static void InterlockedMax(ref long target, long value)
    {
        long seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
