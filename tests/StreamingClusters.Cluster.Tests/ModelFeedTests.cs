using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Ingest;
using StreamingClusters.Cluster.Messages;

namespace StreamingClusters.Cluster.Tests;

/// <summary>A silo's feed of a k-means model, against a grain of the test's own.</summary>
public sealed class ModelFeedTests
{
    private static readonly ClusterModelDefinition Definition = new() { Clusters = 2, Dimensions = 2, Incarnation = "first" };

    [Fact]
    public async Task PostAsync_FirstSendAnsweredAsDuplicate_FailsRatherThanAnswered()
    {
        var grain = new ScriptedGrain { Receipt = new BatchReceipt(BatchOutcome.Duplicate, 0, false) };
        var feed = new ModelFeed(grain, Definition, "p", new ClusterIngestOptions(), TimeProvider.System);

        DuplicateBatchException failed = await Assert.ThrowsAsync<DuplicateBatchException>(() => feed.PostAsync(new float[] { 0, 0, 1, 1 }, CancellationToken.None));

        Assert.Equal(1, grain.Batches);
        Assert.Contains("were not applied", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefreshAsync_AnOlderVersionFetchedLast_TheFeedKeepsTheNewer()
    {
        var grain = new ScriptedGrain();
        var feed = new ModelFeed(grain, Definition, "p", new ClusterIngestOptions(), TimeProvider.System);
        var slow = new TaskCompletionSource<CentroidsView>(TaskCreationOptions.RunContinuationsAsynchronously);

        // The first refresh's answer (version 5) is held until a second refresh has set version 6.
        grain.Views.Enqueue(slow.Task);
        grain.Views.Enqueue(Task.FromResult(View(6)));
        Task older = feed.RefreshAsync();
        await feed.RefreshAsync();
        slow.SetResult(View(5));
        await older;

        Assert.Equal(6, feed.Centroids!.Version);
    }

    private static CentroidsView View(long version) => new()
    {
        Version = version,
        Seeded = true,
        Clusters = 2,
        Centroids = [version, 0, -version, 0],
        Incarnation = "first",
    };

    /// <summary>Answers refreshes with the views queued, in order (unseeded when none is), and every batch with <see cref="Receipt"/>.</summary>
    private sealed class ScriptedGrain : IModelGrain
    {
        private int _batches;

        public System.Collections.Concurrent.ConcurrentQueue<Task<CentroidsView>> Views { get; } = new();

        public BatchReceipt Receipt { get; init; } = new(BatchOutcome.Buffered, 0, false);

        public int Batches => Volatile.Read(ref _batches);

        public Task<CentroidsView> GetCentroids(long knownVersion) =>
            Views.TryDequeue(out Task<CentroidsView>? view) ? view : Task.FromResult(new CentroidsView { Version = 0, Seeded = false, Clusters = 2, Incarnation = "first" });

        public Task<BatchReceipt> AddPoints(PointsBatch batch)
        {
            Interlocked.Increment(ref _batches);
            return Task.FromResult(Receipt);
        }

        public Task<BatchReceipt> ApplyStatistics(StatisticsBatch batch)
        {
            Interlocked.Increment(ref _batches);
            return Task.FromResult(Receipt);
        }

        public Task<BatchReceipt> ApplyMixtureStatistics(MixtureStatisticsBatch batch) => throw new NotSupportedException();

        public Task<ClusterModelDefinition> Define(ClusterModelDefinition definition) => throw new NotSupportedException();

        public Task<ClusterModelDefinition?> GetDefinition() => throw new NotSupportedException();

        public Task<bool> Delete() => throw new NotSupportedException();

        public Task<ModelSummary> GetSummary() => throw new NotSupportedException();

        public Task<ModelStatus> GetStatus() => throw new NotSupportedException();
    }
}
