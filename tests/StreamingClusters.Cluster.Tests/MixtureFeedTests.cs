using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Ingest;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.EStep;
using StreamingClusters.Mixture;
using StreamingClusters.Options;

namespace StreamingClusters.Cluster.Tests;

/// <summary>A silo's feed of a mixture, against a grain of the test's own that holds its first answer.</summary>
public sealed class MixtureFeedTests
{
    private static readonly ClusterModelDefinition Definition = new() { Clusters = 2, Dimensions = 2, Model = ModelKind.GaussianMixture };

    [Fact]
    public async Task PostAsync_PostsAssignedAgainstTwoVersionsWhileABatchIsOut_OneBatchAboutTheOlderMeans()
    {
        double[] oldMeans = [0, 0, 5, 5];
        double[] newMeans = [0.5, -0.25, 4.5, 5.5];
        var grain = new HoldingGrain(View(1, oldMeans));
        var feed = new ModelFeed(grain, Definition, "p", new ClusterIngestOptions { CentroidRefreshInterval = TimeSpan.Zero }, TimeProvider.System);
        var random = new Random(5);
        float[] Points() => [.. Enumerable.Range(0, 40).Select(i => (float)((i % 2 == 0 ? 0 : 5) + random.NextDouble()))];
        float[] a = Points(), b = Points(), c = Points();

        // The first batch is held; b is assigned against version 1 and c, once the grain moved, against
        // version 2: both wait for the next batch, in which c's moments are moved to version 1's means.
        Task<BatchReceipt> first = feed.PostAsync(a, CancellationToken.None);
        await grain.FirstArrived.Task;
        Task<BatchReceipt> second = feed.PostAsync(b, CancellationToken.None);
        grain.View = View(2, newMeans);
        Task<BatchReceipt> third = feed.PostAsync(c, CancellationToken.None);
        grain.FirstAnswer.SetResult(new BatchReceipt(BatchOutcome.Applied, 2, true));
        await Task.WhenAll(first, second, third);

        MixtureStatistics expected = Statistics(oldMeans, 1, b);
        MixtureStatistics moved = Statistics(newMeans, 2, c);
        MixtureMoments.MoveAbout(moved, newMeans, oldMeans);
        expected.Add(moved);
        MixtureStatistics unmoved = Statistics(oldMeans, 1, b);
        unmoved.Add(Statistics(newMeans, 2, c));
        MixtureStatisticsBatch batch = Assert.Single(grain.Received.Skip(1));
        Assert.Equal(2, grain.Received.Count);
        Assert.Equal(1, batch.BasedOnVersion);
        Assert.Equal(oldMeans, batch.About);
        Assert.Equal(expected.Counts.ToArray(), batch.Counts);
        Assert.Equal(expected.Mass.ToArray(), batch.Mass);
        Assert.Equal(expected.First.ToArray(), batch.First);
        Assert.Equal(expected.Second.ToArray(), batch.Second);
        Assert.Equal(expected.LogLikelihood, batch.LogLikelihood);
        Assert.NotEqual(unmoved.First.ToArray(), batch.First);
        Assert.Equal([.. b, .. c], batch.Sample);
    }

    [Fact]
    public async Task PostAsync_FromASourceWithRejections_TheBatchCarriesTheSourcesCountsAndTheIncarnation()
    {
        ClusterModelDefinition definition = Definition with { Incarnation = "first" };
        var grain = new HoldingGrain(View(1, [0, 0, 5, 5]) with { Incarnation = "first" });
        var feed = new ModelFeed(grain, definition, "p", new ClusterIngestOptions { CentroidRefreshInterval = TimeSpan.Zero }, TimeProvider.System);
        float[] points = [0, 0, 0.5f, 0.25f, 5, 5, 4.5f, 5.5f];

        Task<BatchReceipt> posted = feed.PostAsync("http", points, 3, CancellationToken.None);
        await grain.FirstArrived.Task;
        grain.FirstAnswer.SetResult(new BatchReceipt(BatchOutcome.Applied, 2, true));
        await posted;

        MixtureStatisticsBatch batch = Assert.Single(grain.Received);
        Assert.Equal([new SourceTally("http", 4, 3)], batch.Sources);
        Assert.Equal("first", batch.Incarnation);
        Assert.Equal(points, batch.Sample.ToArray());
    }

    private static CentroidsView View(long version, double[] means) => new()
    {
        Version = version,
        Seeded = true,
        Clusters = 2,
        Centroids = means,
        Variances = [1, 1, 1, 1],
        Priors = [0.5, 0.5],
    };

    private static MixtureStatistics Statistics(double[] means, long version, float[] points)
    {
        var runner = new SerialEStep<SoftEStepWork, MixtureStatistics>(2, 2, Definition.ShardSize, points.Length / 2);
        return runner.Run(new SoftEStepWork(new MixtureComponents(means, [1, 1, 1, 1], [0.5, 0.5], version)), points, points.Length / 2).Clone();
    }

    /// <summary>Answers with the view it is given, and holds its answer to the first batch until told.</summary>
    private sealed class HoldingGrain(CentroidsView view) : IModelGrain
    {
        public CentroidsView View { get; set; } = view;

        public List<MixtureStatisticsBatch> Received { get; } = [];

        public TaskCompletionSource FirstArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<BatchReceipt> FirstAnswer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<CentroidsView> GetCentroids(long knownVersion) => Task.FromResult(View);

        public Task<BatchReceipt> ApplyMixtureStatistics(MixtureStatisticsBatch batch)
        {
            lock (Received)
            {
                Received.Add(batch);
                if (Received.Count == 1)
                {
                    FirstArrived.SetResult();
                    return FirstAnswer.Task;
                }
            }

            return Task.FromResult(new BatchReceipt(BatchOutcome.Applied, View.Version + 1, true));
        }

        public Task<ClusterModelDefinition> Define(ClusterModelDefinition definition) => throw new NotSupportedException();

        public Task<ClusterModelDefinition?> GetDefinition() => throw new NotSupportedException();

        public Task<bool> Delete() => throw new NotSupportedException();

        public Task<BatchReceipt> AddPoints(PointsBatch batch) => throw new NotSupportedException();

        public Task<BatchReceipt> ApplyStatistics(StatisticsBatch batch) => throw new NotSupportedException();

        public Task<ModelSummary> GetSummary() => throw new NotSupportedException();

        public Task<ModelStatus> GetStatus() => throw new NotSupportedException();
    }
}
