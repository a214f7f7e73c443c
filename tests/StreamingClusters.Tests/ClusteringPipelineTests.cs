using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.MStep;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests;

public sealed class ClusteringPipelineTests
{
    private const int Dimensions = 5;

    [Fact]
    public async Task RunAsync_SameInputAndSeed_BitIdenticalSnapshotsWhateverTheParallelism()
    {
        float[] points = TestData.Blobs(20_000, Dimensions, clusters: 6, seed: 11);

        List<CentroidSnapshot>[] runs = await Task.WhenAll(
            new[] { 1, 2, 8 }.Select(p => RecordAllSnapshotsAsync(Options(parallelism: p), points)));

        Assert.True(runs[0].Count > 10);
        foreach (List<CentroidSnapshot> run in runs[1..])
        {
            Assert.Equal(runs[0].Count, run.Count);
            for (int i = 0; i < run.Count; i++)
            {
                AssertBitIdentical(runs[0][i], run[i]);
            }
        }
    }

    [Fact]
    public async Task RunAsync_Stopped_AppliesEveryAcceptedPointBeforeTheFinalSnapshot()
    {
        float[] points = TestData.Blobs(10_000, Dimensions, clusters: 4, seed: 5);
        for (int i = 0; i < 37; i++)
        {
            points[(i * 263 * Dimensions) + (i % Dimensions)] = i % 2 == 0 ? float.NaN : float.PositiveInfinity;
        }

        var deadLetters = new RecordingDeadLetterSink();
        List<CentroidSnapshot> snapshots = await RecordAllSnapshotsAsync(Options(), points, deadLetters);

        CentroidSnapshot final = snapshots[^1];
        Assert.True(final.IsFinal);
        Assert.Equal(10_000, final.PointsReceived);
        Assert.Equal(37, final.PointsRejected);
        Assert.Equal(10_000 - 37, final.PointsApplied);
        Assert.Equal(0, final.PointsInFlight);
        Assert.Equal(final.PointsApplied, final.Counts.Sum());
        Assert.Equal(37, deadLetters.Records.Count);
        Assert.All(deadLetters.Records, r => Assert.Matches("^value [0-4] \\(zero-based\\) is (NaN|infinite)$", r.Reason));
    }

    [Fact]
    public async Task Snapshots_SlowAndThrowingSubscribers_NeitherSlowsThePipelineNorReachesOthers()
    {
        ClusteringPipeline pipeline = CreateSut(Options());
        using var release = new ManualResetEventSlim();
        var slowSaw = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable slow = pipeline.Snapshots.Subscribe(_ =>
        {
            slowSaw.TrySetResult();
            release.Wait();
        });
        using IDisposable throwing = pipeline.Snapshots.Subscribe(_ => throw new InvalidOperationException("subscriber bug"));
        CentroidSnapshot? last = null;
        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable good = pipeline.Snapshots.Subscribe(s => last = s, ex => completed.TrySetException(ex), () => completed.TrySetResult());

        await RunWithWriterAsync(pipeline, TestData.Blobs(20_000, Dimensions, clusters: 4, seed: 2));
        await completed.Task;
        await slowSaw.Task;

        Assert.NotNull(last);
        Assert.True(last.IsFinal);
        Assert.Equal(20_000, last.PointsApplied);
        release.Set();
    }

    [Fact]
    public async Task RunAsync_FullRate_EveryVersionPublishedOnceInOrderThenTheFinal()
    {
        float[] points = TestData.Blobs(20_000, Dimensions, clusters: 6, seed: 13);

        List<CentroidSnapshot> snapshots = await RecordAllSnapshotsAsync(Options(parallelism: 2), points);

        // A batch's snapshot goes out during the next batch's E-step: still every version, each once, in order.
        CentroidSnapshot[] running = [.. snapshots.Where(s => !s.IsFinal)];
        Assert.True(running.Length > 10);
        Assert.Equal(Enumerable.Range(0, running.Length).Select(i => running[0].Version + i), running.Select(s => s.Version));
        Assert.Equal(running.Select(s => s.PointsApplied).Order(), running.Select(s => s.PointsApplied));
        CentroidSnapshot final = snapshots[^1];
        Assert.True(final.IsFinal);
        Assert.Equal(running[^1].Version, final.Version);
        Assert.Equal(20_000, final.PointsApplied);
    }

    [Fact]
    public async Task RunAsync_LastBatchBeforeTheStreamPauses_ItsSnapshotIsPublishedWithoutWaitingForMore()
    {
        // Seeded from configuration: the first full batch is applied at once, and nothing follows it.
        StreamingClustersOptions options = Options(parallelism: 2);
        options.Dimensions = Dimensions;
        options.BatchSize = 200;
        options.InitialCentroids = [.. Enumerable.Range(0, options.Clusters).Select(c => Enumerable.Repeat((double)c, Dimensions).ToArray())];
        ClusteringPipeline pipeline = CreateSut(options, ImmediateScheduler.Instance);
        var applied = new TaskCompletionSource<CentroidSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable subscription = pipeline.Snapshots.Subscribe(s =>
        {
            if (s.PointsApplied == 200)
            {
                applied.TrySetResult(s);
            }
        });
        using var stop = new CancellationTokenSource();
        Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token);

        await pipeline.Writer.WriteAsync(TestData.Blobs(200, Dimensions, clusters: 4, seed: 21), Dimensions);
        CentroidSnapshot snapshot = await applied.Task.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.False(snapshot.IsFinal);
        Assert.Equal(1, snapshot.Version);
        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task RunAsync_StreamShorterThanTheSeedingBuffer_SeededBatchSnapshotThenTheFinal()
    {
        // Seeded only when the stream ends: the applied buffer's snapshot still comes before the final one.
        List<CentroidSnapshot> snapshots = await RecordAllSnapshotsAsync(Options(), TestData.Blobs(300, Dimensions, clusters: 4, seed: 17));

        Assert.Equal(2, snapshots.Count);
        Assert.False(snapshots[0].IsFinal);
        Assert.True(snapshots[1].IsFinal);
        Assert.Equal(snapshots[0].Version, snapshots[1].Version);
        Assert.Equal(300, snapshots[0].PointsApplied);
    }

    [Fact]
    public async Task Snapshots_SubscribedAfterTheRun_GetsTheLatestThenCompletion()
    {
        ClusteringPipeline pipeline = CreateSut(Options());
        await RunWithWriterAsync(pipeline, TestData.Blobs(5_000, Dimensions, clusters: 4, seed: 3));

        var seen = new List<CentroidSnapshot>();
        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable subscription = pipeline.Snapshots.Subscribe(seen.Add, () => completed.TrySetResult());
        await completed.Task;

        CentroidSnapshot only = Assert.Single(seen);
        Assert.Same(pipeline.Latest, only);
        Assert.True(only.IsFinal);
    }

    [Fact]
    public async Task Assignments_Subscribed_EveryAppliedPointIsAssignedOnceToItsNearestCentroid()
    {
        ClusteringPipeline pipeline = CreateSut(Options(), ImmediateScheduler.Instance);
        var blocks = new List<AssignmentBlock>();
        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable subscription = pipeline.Assignments.Subscribe(b => blocks.Add(b), () => completed.TrySetResult());

        await RunWithWriterAsync(pipeline, TestData.Blobs(6_000, Dimensions, clusters: 4, seed: 8));
        await completed.Task;

        Assert.Equal(6_000, blocks.Sum(b => b.Count));
        Assert.Equal(Enumerable.Range(1, blocks.Count).Select(i => (long)i), blocks.Select(b => b.Sequence));
        Assert.All(blocks, b => Assert.All(b.Clusters.ToArray(), c => Assert.InRange(c, 0, 3)));
        Assert.All(blocks, b => Assert.All(b.SquaredDistances.ToArray(), d => Assert.True(d >= 0)));
    }

    [Fact]
    public async Task Score_AfterSeeding_AssignsToTheNearestCentroidOfTheLatestModel()
    {
        ClusteringPipeline pipeline = CreateSut(Options());
        Assert.Equal(-1, pipeline.Version);
        await RunWithWriterAsync(pipeline, TestData.Blobs(5_000, Dimensions, clusters: 4, seed: 9));
        CentroidSnapshot latest = pipeline.Latest!;

        float[] probe = [.. latest.Centroids[2].Select(v => (float)v)];
        int[] clusters = new int[1];
        float[] distances = new float[1];
        long version = pipeline.Score(probe, clusters, distances);

        Assert.Equal(latest.Version, version);
        Assert.Equal(2, clusters[0]);
        Assert.InRange(distances[0], 0f, 1e-3f);
    }

    [Fact]
    public async Task RunAsync_IngestBoundWithinTheKernels_EStepTakesPointsAsChecked()
    {
        StreamingClustersOptions options = Options();
        ClusteringPipeline pipeline = CreateSut(options);

        await RunWithWriterAsync(pipeline, TestData.Blobs(2_000, Dimensions, clusters: 4, seed: 4));

        Assert.True(ModelStageFactory.StreamingOptions(options, pipeline.Ingest).PointsBounded);
    }

    [Fact]
    public async Task RunAsync_IngestBoundBeyondTheKernels_EStepChecksPointsAndResultsDoNotDependOnThreads()
    {
        // Options built in code skip validation: a bound past 2^60 lets in points whose scores could
        // overflow, so the E-step must keep its own check, and the vector paths stay exact with it.
        float[] points = TestData.Blobs(6_000, Dimensions, clusters: 4, seed: 8);
        for (int i = 0; i < points.Length; i += 97)
        {
            points[i] = (i % 2 == 0 ? 1 : -1) * 2e18f;
        }

        var snapshots = new List<CentroidSnapshot>();
        foreach (int parallelism in new[] { 1, 2 })
        {
            StreamingClustersOptions options = Options(parallelism);
            options.MaxAbsoluteValue = 1e19;
            ClusteringPipeline pipeline = CreateSut(options);

            await RunWithWriterAsync(pipeline, points);

            Assert.False(ModelStageFactory.StreamingOptions(options, pipeline.Ingest).PointsBounded);
            Assert.Equal(6_000, pipeline.Latest!.PointsApplied);
            snapshots.Add(pipeline.Latest);
        }

        AssertBitIdentical(snapshots[0], snapshots[1]);
    }

    [Fact]
    public async Task RunAsync_NoValidRecord_CompletesWithoutASnapshot()
    {
        ClusteringPipeline pipeline = CreateSut(Options());
        await RunWithWriterAsync(pipeline, [float.NaN, 1, 2, 3, 4]);

        Assert.Null(pipeline.Latest);
        Assert.True(pipeline.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task RunAsync_LongStream_BuffersAreReusedNotMadeAnew()
    {
        // Fifty channelfuls: the buffers made are those the channel, the seeding buffer and the stages
        // hold at once, however long the stream.
        float[] points = TestData.Blobs(50_000, Dimensions, clusters: 4, seed: 3);
        ClusteringPipeline pipeline = CreateSut(Options());

        await RunWithWriterAsync(pipeline, points);

        Assert.Equal(50_000, pipeline.Latest!.PointsApplied);
        var buffers = Assert.IsType<StreamingClusters.Ingest.BufferPool>(pipeline.Ingest.Buffers);
        long heldAtOnce = (1_000 / 100) + (1_024 / 100) + 1 + 4;
        Assert.InRange(buffers.Created, 1, heldAtOnce + 8);
    }

    internal static StreamingClustersOptions Options(int parallelism = 2) => new()
    {
        Clusters = 4,
        Dimensions = 0,
        BatchSize = 512,
        ShardSize = 64,
        BlockSize = 100,
        ChannelCapacity = 1_000,
        Seed = 7,
        Parallelism = parallelism,
        Seeding = { BufferSize = 1_024 },
    };

    private static ClusteringPipeline CreateSut(StreamingClustersOptions options, IScheduler? scheduler = null, RecordingDeadLetterSink? deadLetters = null) =>
        new(options, deadLetters ?? new RecordingDeadLetterSink(), new FakeTimeProvider(), NullLoggerFactory.Instance, scheduler);

    private static async Task<List<CentroidSnapshot>> RecordAllSnapshotsAsync(StreamingClustersOptions options, float[] points, RecordingDeadLetterSink? deadLetters = null)
    {
        // The immediate scheduler delivers every snapshot, in order, on the M-step's thread.
        ClusteringPipeline pipeline = CreateSut(options, ImmediateScheduler.Instance, deadLetters);
        var snapshots = new List<CentroidSnapshot>();
        using IDisposable subscription = pipeline.Snapshots.Subscribe(snapshots.Add);
        await RunWithWriterAsync(pipeline, points);
        return snapshots;
    }

    private static async Task RunWithWriterAsync(ClusteringPipeline pipeline, float[] points)
    {
        using var stop = new CancellationTokenSource();
        Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token);
        const int Chunk = 333;
        for (int start = 0; start < points.Length / Dimensions; start += Chunk)
        {
            int n = Math.Min(Chunk, (points.Length / Dimensions) - start);
            await pipeline.Writer.WriteAsync(points.AsMemory(start * Dimensions, n * Dimensions), Dimensions);
        }

        await stop.CancelAsync();
        await running;
    }

    private static void AssertBitIdentical(CentroidSnapshot expected, CentroidSnapshot actual)
    {
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.PointsApplied, actual.PointsApplied);
        Assert.Equal(expected.Counts, actual.Counts);
        Assert.Equal(expected.Weights.Select(BitConverter.DoubleToInt64Bits), actual.Weights.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Inertia), BitConverter.DoubleToInt64Bits(actual.Inertia));
        for (int c = 0; c < expected.Clusters; c++)
        {
            Assert.Equal(expected.Centroids[c].Select(BitConverter.DoubleToInt64Bits), actual.Centroids[c].Select(BitConverter.DoubleToInt64Bits));
        }
    }
}
