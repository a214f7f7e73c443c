using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Batching;
using StreamingClusters.Checkpoints;
using StreamingClusters.Diagnostics;
using StreamingClusters.Ingest;
using StreamingClusters.MStep;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.MStep;

/// <summary>The model stage driven batch by batch, on its own parts: what it accounts and when a snapshot goes out.</summary>
public sealed class ModelStageTests : IDisposable
{
    private const int Dimensions = 2;
    private const int BatchSize = 100;

    private readonly RecordingDeadLetterSink _deadLetters = new();
    private readonly List<CentroidSnapshot> _snapshots = [];
    private IDisposable? _subscription;
    private PipelineParts? _parts;
    private long _sequence;
    private readonly FakeTimeProvider _time = new();

    public void Dispose() => _subscription?.Dispose();

    private ModelStage CreateSut(StreamingClustersOptions options)
    {
        // The immediate scheduler hands every snapshot over on the stage's thread, as it is published.
        _parts = PipelineParts.Create(
            options, _deadLetters, _time, NullLoggerFactory.Instance, ImmediateScheduler.Instance, new StreamingClustersMetrics(), CheckpointFileSystem.Real);
        _subscription = _parts.Snapshots.Snapshots.Subscribe(_snapshots.Add);
        return ModelStageFactory.Create(_parts, Dimensions, restored: null);
    }

    private static StreamingClustersOptions Options(bool configured) => new()
    {
        Clusters = 2,
        Dimensions = Dimensions,
        BatchSize = BatchSize,
        ShardSize = 64,
        Parallelism = 1,
        Seed = 3,
        MaxAbsoluteValue = 1e38,
        Seeding = { BufferSize = 150 },
        InitialCentroids = configured ? [[0, 0], [10, 10]] : null,
    };

    private MiniBatch Batch(float[] points)
    {
        SourceCounters source = _parts!.Ingest.Counters("test");
        int count = points.Length / Dimensions;
        var block = new PointBlock(source, Dimensions, count, _parts.Ingest.Buffers);
        points.CopyTo(block.NextSlots(count));
        block.Commit(count);
        block.EndPosition = count * 10 * (_sequence + 1);
        source.AddReceived(count);
        return MiniBatch.FromBlock(block, ++_sequence);
    }

    private static float[] Points(int seed) => TestData.Blobs(BatchSize, Dimensions, clusters: 2, seed: (ulong)seed);

    [Fact]
    public void InputQuiet_BatchesSinceTheLastCheckpointAndTheIntervalPassed_WritesItAndCommitsTheirPositions()
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("sc-quiet-ckpt-");
        try
        {
            StreamingClustersOptions options = Options(configured: true);
            options.Checkpoint.Path = Path.Combine(dir.FullName, "model.ckpt");
            options.Checkpoint.Interval = TimeSpan.FromSeconds(10);
            ModelStage sut = CreateSut(options);
            var committed = new List<long>();
            _parts!.Ingest.Counters("test").Committed = committed.Add;
            Assert.Null(sut.QuietAfter);

            sut.Take(Batch(Points(1)));
            Assert.Equal(TimeSpan.FromSeconds(10), sut.QuietAfter);
            Assert.Equal(0, _parts.Checkpoints!.Status.Written);
            _time.Advance(TimeSpan.FromSeconds(4));
            Assert.Equal(TimeSpan.FromSeconds(6), sut.QuietAfter);
            sut.InputQuiet();
            Assert.Equal(0, _parts.Checkpoints.Status.Written);

            _time.Advance(TimeSpan.FromSeconds(6));
            sut.InputQuiet();

            Assert.Equal(1, _parts.Checkpoints.Status.Written);
            Assert.Equal([BatchSize * 10L], committed);
            Assert.Null(sut.QuietAfter);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Take_AppliedBatch_ItsSnapshotWaitsForTheNextFlushAndGoesOutOnce()
    {
        ModelStage sut = CreateSut(Options(configured: true));

        sut.Take(Batch(Points(1)));
        Assert.Empty(_snapshots);
        sut.Idle();
        sut.Idle();

        CentroidSnapshot snapshot = Assert.Single(_snapshots);
        Assert.Equal(1, snapshot.Version);
        Assert.Equal(BatchSize, snapshot.PointsApplied);
        Assert.Equal(BatchSize * 10, snapshot.Sources[0].Position);
        Assert.False(snapshot.IsFinal);
    }

    [Fact]
    public void Take_NextBatch_ThePendingSnapshotGoesOutBeforeTheModelMoves()
    {
        ModelStage sut = CreateSut(Options(configured: true));

        sut.Take(Batch(Points(1)));
        sut.Take(Batch(Points(2)));

        CentroidSnapshot snapshot = Assert.Single(_snapshots);
        Assert.Equal(1, snapshot.Version);
    }

    [Fact]
    public void Take_BeforeTheSeedingBufferFills_PointsAreHeldThenAppliedTogether()
    {
        ModelStage sut = CreateSut(Options(configured: false));
        SourceCounters source = _parts!.Ingest.Counters("test");

        sut.Take(Batch(Points(1)));
        Assert.Equal(0, source.Applied);
        Assert.Null(sut.Model.Current);
        sut.Take(Batch(Points(2)));
        sut.Idle();

        Assert.Equal(2 * BatchSize, source.Applied);
        CentroidSnapshot snapshot = Assert.Single(_snapshots);
        Assert.Equal(1, snapshot.Version);
        Assert.Equal(2 * BatchSize, snapshot.Counts.Sum());
        Assert.Equal(2 * BatchSize * 10, snapshot.Sources[0].Position);
    }

    [Theory]
    [InlineData(1, 0, false)]
    [InlineData(2, 3, true)]
    public void Take_SeedingStartsAndBreaths_ReachTheModelsSeeding(int starts, int breaths, bool named)
    {
        StreamingClustersOptions options = Options(configured: false);
        options.Seeding.Starts = starts;
        options.Seeding.Breaths = breaths;
        ModelStage sut = CreateSut(options);

        sut.Take(Batch(Points(1)));
        sut.Take(Batch(Points(2)));
        sut.Idle();

        Assert.Equal(2, sut.Model.RecentEvents.Count);
        Assert.All(sut.Model.RecentEvents, e =>
        {
            Assert.StartsWith("k-means++ on the first ", e.Reason, StringComparison.Ordinal);
            Assert.Equal(named, e.Reason.Contains("(best of 2 starts, ", StringComparison.Ordinal));
        });
    }

    [Fact]
    public void Take_UpdateWouldBeNonFinite_EveryPointIsRejectedAndDeadLettered()
    {
        ModelStage sut = CreateSut(Options(configured: true));

        sut.Take(Batch([3e38f, 3e38f, 1, 1]));
        sut.Idle();

        SourceCounters source = _parts!.Ingest.Counters("test");
        Assert.Equal(2, source.Rejected);
        Assert.Equal(0, source.Applied);
        Assert.Equal(2, _deadLetters.Records.Count);
        Assert.All(_deadLetters.Records, r => Assert.StartsWith("The update to version 1 would make", r.Reason, StringComparison.Ordinal));
        CentroidSnapshot snapshot = Assert.Single(_snapshots);
        Assert.Equal(0, snapshot.Version);
        Assert.Equal(2, snapshot.PointsRejected);
    }

    [Fact]
    public void Complete_StreamEndedInsideTheSeedingBuffer_SeedsPublishesTheBatchThenTheFinal()
    {
        ModelStage sut = CreateSut(Options(configured: false));
        sut.Take(Batch(Points(1)));

        sut.Complete();

        Assert.Equal(2, _snapshots.Count);
        Assert.False(_snapshots[0].IsFinal);
        Assert.True(_snapshots[1].IsFinal);
        Assert.Equal(BatchSize, _snapshots[1].PointsApplied);
    }

    [Fact]
    public void CompleteAbandoned_WhileSeeding_DropsTheBufferAndPublishesNothing()
    {
        ModelStage sut = CreateSut(Options(configured: false));
        sut.Take(Batch(Points(1)));

        long dropped = sut.CompleteAbandoned();

        Assert.Equal(BatchSize, dropped);
        Assert.Empty(_snapshots);
        Assert.Equal(0, _parts!.Ingest.Counters("test").Applied);
    }

    [Fact]
    public void InputQuiet_PartFilledSeedingBuffer_SeedsOnItAndPublishes()
    {
        ModelStage sut = CreateSut(Options(configured: false));
        sut.Take(Batch(Points(1)));
        Assert.False(sut.Model.IsSeeded);
        Assert.Equal(TimeSpan.FromSeconds(2), sut.QuietAfter);

        sut.InputQuiet();

        Assert.True(sut.Model.IsSeeded);
        CentroidSnapshot seeded = Assert.Single(_snapshots);
        Assert.Equal(BatchSize, seeded.PointsApplied);
        Assert.Null(sut.QuietAfter);
        Assert.Equal(int.MaxValue, sut.NextBatchLimit);
    }

    [Fact]
    public void InputQuiet_FewerPointsThanClusters_KeepsThemAndWaitsForMore()
    {
        ModelStage sut = CreateSut(Options(configured: false));
        sut.Take(Batch([1, 1]));

        sut.InputQuiet();

        Assert.False(sut.Model.IsSeeded);
        Assert.Equal(1, sut.Model.BufferedPoints);
        Assert.Null(sut.QuietAfter); // nothing new since that pause: no timer until more points come
        Assert.Empty(_snapshots);

        sut.Take(Batch([5, 5, 9, 9]));
        Assert.Equal(TimeSpan.FromSeconds(2), sut.QuietAfter);
        sut.InputQuiet();

        Assert.True(sut.Model.IsSeeded);
        Assert.Equal(3, Assert.Single(_snapshots).PointsApplied);
    }

    [Fact]
    public void InputQuiet_OnlyDuplicatePoints_KeepsThemAndWaitsForMore()
    {
        ModelStage sut = CreateSut(Options(configured: false));
        sut.Take(Batch([1, 1, 1, 1, 1, 1]));

        sut.InputQuiet();

        Assert.False(sut.Model.IsSeeded);
        Assert.Equal(3, sut.Model.BufferedPoints);
        Assert.Empty(_snapshots);
    }

    [Fact]
    public void NextBatchLimit_SeedingBufferNotAMultipleOfTheBatch_IsTheRoomLeftSoItSeedsOnExactlyItsSize()
    {
        ModelStage sut = CreateSut(Options(configured: false)); // buffer 150, batches of 100
        Assert.Equal(150, sut.NextBatchLimit);
        sut.Take(Batch(Points(1)));
        Assert.Equal(50, sut.NextBatchLimit);

        sut.Take(Batch(Points(2).AsSpan(0, 50 * Dimensions).ToArray()));

        Assert.True(sut.Model.IsSeeded);
        sut.Idle();
        Assert.Equal(150, Assert.Single(_snapshots).PointsApplied);
    }

    [Fact]
    public void QuietAfter_IdleTimeoutZero_NeverAsksForAPause()
    {
        StreamingClustersOptions options = Options(configured: false);
        options.Seeding.IdleTimeout = TimeSpan.Zero;
        ModelStage sut = CreateSut(options);
        sut.Take(Batch(Points(1)));

        Assert.Null(sut.QuietAfter);
    }

    [Fact]
    public void Take_FullSeedingBufferOfOneRepeatedPoint_KeepsItAndSeedsOnceDistinctPointsCome()
    {
        ModelStage sut = CreateSut(Options(configured: false)); // buffer 150, k = 2
        sut.Take(Batch(Enumerable.Repeat(1f, 150 * Dimensions).ToArray()));

        Assert.False(sut.Model.IsSeeded);
        Assert.Equal(150, sut.Model.BufferedPoints);
        Assert.Equal(int.MaxValue, sut.NextBatchLimit);

        sut.Take(Batch(Points(1)));
        sut.Idle();

        Assert.True(sut.Model.IsSeeded);
        Assert.Equal(250, Assert.Single(_snapshots).PointsApplied);
    }
}
