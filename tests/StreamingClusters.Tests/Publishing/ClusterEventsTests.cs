using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Model;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.Publishing;

/// <summary>The clusters' id changes as the library publishes them: in order, with the snapshots' ids, and across a restart.</summary>
public sealed class ClusterEventsTests : IDisposable
{
    private const int Dimensions = 5;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-events-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Events_RunWithRepairs_EveryIdInTheSnapshotsIsBornByAnEventAndNoneIsReused()
    {
        StreamingClustersOptions options = Options(checkpoint: null);

        (List<ClusterEvent> events, List<CentroidSnapshot> snapshots) = await RunAsync(options, ThreePlacesThenSix());

        Assert.Equal(options.Clusters, events.Count(e => e.Kind == ClusterEventKind.Seeded));
        Assert.Contains(events, e => e.Kind == ClusterEventKind.SplitOff);
        var born = events.Where(e => e.NewId is not null).Select(e => e.NewId!.Value).ToList();
        Assert.Equal(born.Count, born.Distinct().Count());
        foreach (CentroidSnapshot snapshot in snapshots)
        {
            Assert.All(snapshot.Ids, id => Assert.Contains(events, e => e.NewId == id && e.Version <= snapshot.Version));
        }

        Assert.All(events.Where(e => e.Kind == ClusterEventKind.SplitOff), e => Assert.NotNull(e.FromId));
    }

    [Fact]
    public async Task Events_RestartFromCheckpoint_NewSubscribersGetTheHistoryAndNewIdsGoOnFromIt()
    {
        string path = Path.Combine(_dir.FullName, "model.ckpt");
        (List<ClusterEvent> first, _) = await RunAsync(Options(path), ThreePlacesThenSix());

        (List<ClusterEvent> second, List<CentroidSnapshot> snapshots) = await RunAsync(Options(path), TestData.Blobs(2_000, Dimensions, clusters: 6, seed: 19));

        Assert.Equal(first, second.Take(first.Count));
        long largest = first.Max(e => e.NewId ?? -1);
        Assert.All(second.Skip(first.Count), e => Assert.True(e.NewId is null || e.NewId > largest));
        Assert.All(snapshots[^1].Ids, id => Assert.Contains(second, e => e.NewId == id));
    }

    private static float[] ThreePlacesThenSix() =>
        [.. TestData.Blobs(1_500, Dimensions, clusters: 3, seed: 18), .. TestData.Blobs(12_000, Dimensions, clusters: 6, seed: 19)];

    private StreamingClustersOptions Options(string? checkpoint)
    {
        StreamingClustersOptions options = ClusteringPipelineTests.Options(parallelism: 1);
        options.Clusters = 6;
        options.Repair = true;
        if (checkpoint is not null)
        {
            options.Checkpoint.Path = checkpoint;
            options.Checkpoint.Interval = TimeSpan.Zero;
        }

        return options;
    }

    private static async Task<(List<ClusterEvent> Events, List<CentroidSnapshot> Snapshots)> RunAsync(StreamingClustersOptions options, float[] points)
    {
        var pipeline = new ClusteringPipeline(options, new RecordingDeadLetterSink(), new FakeTimeProvider(), NullLoggerFactory.Instance, ImmediateScheduler.Instance);
        var events = new List<ClusterEvent>();
        var snapshots = new List<CentroidSnapshot>();
        using IDisposable eventSubscription = pipeline.Events.Subscribe(events.Add);
        using IDisposable subscription = pipeline.Snapshots.Subscribe(snapshots.Add);
        using var stop = new CancellationTokenSource();
        Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token);
        await pipeline.Writer.WriteAsync(points, Dimensions);
        await stop.CancelAsync();
        await running;
        return (events, snapshots);
    }
}
