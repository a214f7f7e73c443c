using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Checkpoints;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests;

public sealed class AbandonedDrainTests : IDisposable
{
    private const int Dimensions = 4;
    private const int Points = 3_072;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-abandon-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task RunAsync_DrainAbandonedWhileTheModelIsBusy_StopsAtABatchBoundaryAndCountsWhatWasLeft()
    {
        string checkpointPath = Path.Combine(_dir.FullName, "model.ckpt");
        var gateReached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        StreamingClustersOptions options = Options();
        options.Checkpoint.Path = checkpointPath;
        options.Checkpoint.Interval = TimeSpan.Zero;
        // The model thread stops in its first checkpoint write, so the rest of the points stay queued behind it.
        options.Checkpoint.StageReached = (stage, _) =>
        {
            if (stage == CheckpointWriteStage.TemporaryWritten && gateReached.TrySetResult())
            {
                release.Task.Wait();
            }
        };
        var logs = new RecordingLoggerFactory();
        var pipeline = new ClusteringPipeline(options, new RecordingDeadLetterSink(), new FakeTimeProvider(), logs);
        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable subscription = pipeline.Snapshots.Subscribe(_ => { }, ex => completed.TrySetException(ex), () => completed.TrySetResult());
        using var stop = new CancellationTokenSource();
        using var abandon = new CancellationTokenSource();

        Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token, abandon.Token);
        await WriteAsync(pipeline, TestData.Blobs(Points, Dimensions, clusters: 3, seed: 9));
        await gateReached.Task;
        await stop.CancelAsync();
        await abandon.CancelAsync();
        release.SetResult();
        await running;
        await completed.Task;

        CentroidSnapshot? final = pipeline.Latest;
        Assert.NotNull(final);
        Assert.True(final.IsFinal);
        Assert.True(pipeline.DrainAbandoned);
        Assert.True(pipeline.PointsLeftUnapplied > 0, "points were still queued behind the busy model");
        Assert.Equal(Points, final.PointsReceived);
        Assert.Equal(Points, final.PointsApplied + pipeline.PointsLeftUnapplied);
        Assert.Equal(pipeline.PointsLeftUnapplied, pipeline.Ingest.Sources.Sum(s => s.InFlight));
        Assert.Equal(0, pipeline.Ingest.PointsQueued);
        Checkpoint? checkpoint = new CheckpointStore(checkpointPath, NullLogger.Instance).Load();
        Assert.NotNull(checkpoint);
        Assert.Equal(final.PointsApplied, checkpoint.Model.PointsApplied);
        Assert.Equal(final.PointsApplied, checkpoint.Sources.Sum(s => s.Applied));
        Assert.Equal(final.Version, checkpoint.Model.Version);
        var error = Assert.Single(logs.Entries, e => e.Event.Id == 5);
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.Contains($"{pipeline.PointsLeftUnapplied} accepted points were left unapplied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_DrainAbandonedBeforeSeeding_AppliesNothingAndWritesNoCheckpoint()
    {
        string checkpointPath = Path.Combine(_dir.FullName, "model.ckpt");
        StreamingClustersOptions options = Options();
        options.Seeding.BufferSize = Points * 2;
        options.Checkpoint.Path = checkpointPath;
        var pipeline = new ClusteringPipeline(options, new RecordingDeadLetterSink(), new FakeTimeProvider(), NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        using var abandon = new CancellationTokenSource();

        Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token, abandon.Token);
        await WriteAsync(pipeline, TestData.Blobs(Points, Dimensions, clusters: 3, seed: 9));
        await abandon.CancelAsync();
        await stop.CancelAsync();
        await running;

        Assert.True(pipeline.DrainAbandoned);
        Assert.Equal(Points, pipeline.PointsLeftUnapplied);
        Assert.Null(pipeline.Latest);
        Assert.False(File.Exists(checkpointPath));
        Assert.Equal(0, pipeline.Ingest.PointsQueued);
    }

    [Fact]
    public async Task RunAsync_DrainNotAbandoned_AppliesEverythingAndReportsNothingLeft()
    {
        var pipeline = new ClusteringPipeline(Options(), new RecordingDeadLetterSink(), new FakeTimeProvider(), NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        using var abandon = new CancellationTokenSource();

        Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token, abandon.Token);
        await WriteAsync(pipeline, TestData.Blobs(Points, Dimensions, clusters: 3, seed: 9));
        await stop.CancelAsync();
        await running;

        Assert.False(pipeline.DrainAbandoned);
        Assert.Equal(0, pipeline.PointsLeftUnapplied);
        Assert.Equal(Points, pipeline.Latest!.PointsApplied);
    }

    private static StreamingClustersOptions Options() => new()
    {
        Clusters = 3,
        Dimensions = Dimensions,
        BatchSize = 256,
        BlockSize = 256,
        ChannelCapacity = Points,
        Seed = 3,
        Parallelism = 1,
        Seeding = { BufferSize = 512 },
    };

    private static async Task WriteAsync(ClusteringPipeline pipeline, float[] points)
    {
        const int Chunk = 256;
        for (int start = 0; start < Points; start += Chunk)
        {
            WriteResult result = await pipeline.Writer.WriteAsync(points.AsMemory(start * Dimensions, Chunk * Dimensions), Dimensions);
            Assert.Equal(Chunk, result.Accepted);
        }
    }
}
