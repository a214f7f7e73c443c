using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Cluster.Catalog;
using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.EStep;
using StreamingClusters.Ingest;
using StreamingClusters.Model;
using StreamingClusters.Models;
using StreamingClusters.Publishing;
using StreamingClusters.Statistics;

namespace StreamingClusters.Cluster.Tests.Catalog;

/// <summary>What a model's grain counts (rejections from every silo, per source, the last batch) and what its snapshots carry.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GrainAccountingTests(ClusterFixture fixture)
{
    private const float Limit = 1_000;

    [Fact]
    public async Task Write_RejectionsOnTwoSilos_CountedOnceByTheGrainPerSource()
    {
        ClusterModelDefinition definition = TestData.Definition();
        float[][] batches = TestData.Batches(seed: 31, batches: 2, pointsPerBatch: 300, definition.Clusters, definition.Dimensions);
        await fixture.Ingests[0].DefineAsync("accounting", definition);
        GrainModelHandle first = Handle("accounting", 0);
        GrainModelHandle second = Handle("accounting", 1);
        int d = definition.Dimensions;

        WriteResult? seeded = await first.TryWriteAsync("http", With(batches[0], bad: [float.NaN, 1, 2, 3, 4, 5, 6, float.PositiveInfinity]), d, null, TimeSpan.Zero);
        WriteResult? mixed = await second.TryWriteAsync("mqtt-a", With(batches[1].AsSpan(0, 100 * d).ToArray(), bad: [1, 2, 3, 2 * Limit]), d, null, TimeSpan.Zero);
        WriteResult? none = await second.TryWriteAsync("http", new float[] {float.NaN, 0, 0, 0, 0, -2 * Limit, 0, 0, 0, 0, 0, float.NegativeInfinity }, d, null, TimeSpan.Zero);
        await first.RejectAsync("http", [new RecordRejection(1, "not a number", "x"), new RecordRejection(2, "too few values", "1,2"), new RecordRejection(3, "empty", ""), new RecordRejection(4, "not a number", "y")]);
        ModelInfo described = await first.DescribeAsync();
        CentroidSnapshot snapshot = (await second.LatestAsync())!;

        Assert.Equal(new WriteResult(300, 2), seeded);
        Assert.Equal(new WriteResult(100, 1), mixed);
        Assert.Equal(new WriteResult(0, 3), none);
        Assert.Equal(10, described.PointsRejected);
        Assert.Equal(400, snapshot.PointsApplied);
        Assert.Equal(10, snapshot.PointsRejected);
        Assert.Equal(410, snapshot.PointsReceived);
        Assert.Equal(
            [new SourceTotals("http", 309, 300, 9, 0), new SourceTotals("mqtt-a", 101, 100, 1, 0)],
            snapshot.Sources);
        Assert.Equal(100, snapshot.BatchPoints);
        Assert.True(snapshot.MeanSquaredDistance > 0);
        Assert.Equal(0, snapshot.DuplicatesDropped);
        Assert.Equal(0, snapshot.StaleBatches);
    }

    [Fact]
    public async Task Write_PointsWithUnreadableRecords_OneGrainWriteCountsBoth()
    {
        ClusterModelDefinition definition = TestData.Definition();
        float[][] batches = TestData.Batches(seed: 33, batches: 2, pointsPerBatch: 300, definition.Clusters, definition.Dimensions);
        await fixture.Ingests[0].DefineAsync("accounting-together", definition);
        IModelHandle model = Handle("accounting-together", 1);
        int d = definition.Dimensions;
        Assert.Equal(new WriteResult(300, 0), await model.TryWriteAsync("http", batches[0], d, null, TimeSpan.Zero));
        GrainCallCounter.Reset("accounting-together");

        WriteResult? written = await model.TryWriteAsync(
            "http", With(batches[1], bad: [float.NaN, 0, 0, 0]), d, null, [new RecordRejection(1, "not a number", "x"), new RecordRejection(2, "empty", "")], TimeSpan.Zero);
        IReadOnlyList<(string Method, int Calls)> calls = GrainCallCounter.Calls("accounting-together");
        ModelSummary summary = await fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("accounting-together").GetSummary();

        // The points rejected by the silo are in the result; the unreadable records are the caller's to add.
        Assert.Equal(new WriteResult(300, 1), written);
        Assert.Equal(1, calls.Where(c => c.Method is nameof(IModelGrain.ApplyStatistics) or nameof(IModelGrain.AddPoints)).Sum(c => c.Calls));
        Assert.Equal((600L, 3L), (summary.PointsApplied, summary.PointsRejected));
        Assert.Equal(new SourceCounts(603, 600, 3), summary.Sources["http"]);
    }

    [Fact]
    public async Task ApplyStatistics_CountsOnlyBatchResent_CountedOnceAndDropped()
    {
        ClusterModelDefinition definition = TestData.Definition();
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("accounting-resent");
        string? incarnation = (await grain.Define(definition)).Incarnation;
        StatisticsBatch counts = StatisticsBatch.CountsOnlyFrom("p", 1, [new SourceTally("http", 0, 5), new SourceTally("mqtt-a", 0, 2)]) with { Incarnation = incarnation };

        BatchReceipt sent = await grain.ApplyStatistics(counts);
        BatchReceipt resent = await grain.ApplyStatistics(counts);
        ModelSummary summary = await grain.GetSummary();

        Assert.Equal(BatchOutcome.Applied, sent.Outcome);
        Assert.Equal(BatchOutcome.Duplicate, resent.Outcome);
        Assert.Equal(7, summary.PointsRejected);
        Assert.Equal(1, summary.DuplicatesDropped);
        Assert.Equal(0, summary.Version);
        Assert.Equal(new SourceCounts(5, 0, 5), summary.Sources["http"]);
        Assert.Equal(new SourceCounts(2, 0, 2), summary.Sources["mqtt-a"]);
    }

    [Fact]
    public async Task LatestAsync_BatchThatReseeds_SnapshotCarriesItsPointsErrorAndReseeds()
    {
        ClusterModelDefinition definition = TestData.Definition() with { Repair = false, ReseedRatio = 0.2 };
        int k = definition.Clusters, d = definition.Dimensions;
        float[][] batches = TestData.Batches(seed: 32, batches: 2, pointsPerBatch: 300, k, d);
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("accounting-reseeds");
        string? incarnation = (await grain.Define(definition)).Incarnation;
        await grain.AddPoints(new PointsBatch { Producer = "p", Sequence = 1, Points = batches[0], Incarnation = incarnation });
        CentroidsView view = await grain.GetCentroids(-1);

        // A flood at cluster 0 starves the others: their discounted weights fall below the reseed ratio.
        var statistics = new ClusterStatistics(k, d);
        statistics.Counts[0] = 1_000_000;
        for (int j = 0; j < d; j++)
        {
            statistics.Sums[j] = view.Centroids![j] * 1_000_000;
        }

        statistics.SquaredErrors[0] = 123_456.75;
        await grain.ApplyStatistics(StatisticsBatch.From("p", 2, view.Version, statistics, batches[1], [new SourceTally("http", 1_000_000, 0)]) with { Incarnation = incarnation });
        CentroidSnapshot snapshot = (await Handle("accounting-reseeds", 2).LatestAsync())!;
        ModelSummary summary = await grain.GetSummary();
        ClusterEvent[] reseeded = [.. ModelStateCodec.Read(summary.State!).Model.RecentEvents!.Where(e => e.Kind == ClusterEventKind.Reseeded && e.Version == summary.Version)];

        Assert.Equal(1_000_000, snapshot.BatchPoints);
        Assert.Equal(123_456.75 / 1_000_000, snapshot.MeanSquaredDistance);
        Assert.NotEmpty(snapshot.Reseeds);
        Assert.Equal(reseeded.Select(e => (e.Slot, e.OldId, e.NewId)), snapshot.Reseeds.Select(r => (r.Cluster, (long?)r.RetiredId, (long?)r.NewId)));
        Assert.Equal([new SourceTotals("http", 1_000_000, 1_000_000, 0, 0), new SourceTotals(ModelGrain.UnnamedSource, 300, 300, 0, 0)], snapshot.Sources);
    }

    private static float[] With(float[] valid, float[] bad) => [.. valid, .. bad];

    private GrainModelHandle Handle(string name, int silo) => new(name, fixture.Ingests[silo], Limit, 4096, TimeProvider.System, NullLogger.Instance);
}
