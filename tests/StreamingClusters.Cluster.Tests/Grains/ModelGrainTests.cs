using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Ingest;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.EStep;
using StreamingClusters.Statistics;

namespace StreamingClusters.Cluster.Tests.Grains;

[Collection(ClusterCollection.Name)]
public sealed class ModelGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Post_RoundRobinOverThreeSilos_ModelBitIdenticalToSingleProcess()
    {
        ClusterModelDefinition definition = TestData.Definition();
        float[][] batches = TestData.Batches(seed: 1, batches: 24, pointsPerBatch: 100, definition.Clusters, definition.Dimensions);
        IReadOnlyList<SiloIngest> ingests = fixture.Ingests;
        await ingests[0].DefineAsync("round-robin", definition);

        var outcomes = new List<BatchOutcome>();
        for (int b = 0; b < batches.Length; b++)
        {
            BatchReceipt receipt = await ingests[b % ingests.Count].PostAsync("round-robin", batches[b]);
            outcomes.Add(receipt.Outcome);
        }

        ModelSummary summary = await fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("round-robin").GetSummary();
        var reference = TestData.Reference(definition, batches);
        Assert.Equal([BatchOutcome.Buffered, BatchOutcome.Buffered, .. Enumerable.Repeat(BatchOutcome.Applied, 22)], outcomes);
        Assert.Equal(24 * 100, summary.PointsApplied);
        Assert.Equal(0, summary.PointsBuffered);
        Assert.Equal(0, summary.DuplicatesDropped);
        Assert.Equal(0, summary.StaleBatches);
        Assert.Equal(reference.Version, summary.Version);
        Assert.Equal(TestData.Comparable(reference.ToState()), TestData.Comparable(summary.State!));
    }

    [Fact]
    public async Task ApplyStatistics_SameProducerAndSequenceTwice_SecondDroppedAndCounted()
    {
        ClusterModelDefinition definition = TestData.Definition();
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("duplicates");
        string? incarnation = (await grain.Define(definition)).Incarnation;
        float[][] batches = TestData.Batches(seed: 2, batches: 2, pointsPerBatch: 300, definition.Clusters, definition.Dimensions);
        BatchReceipt seeded = await grain.AddPoints(new PointsBatch { Producer = "p", Sequence = 1, Points = batches[0], Incarnation = incarnation });
        CentroidsView view = await grain.GetCentroids(-1);
        var centroids = new CentroidSet(view.Centroids, view.Clusters, view.Version);
        var runner = new SerialEStep<HardEStepWork, ClusterStatistics>(definition.Clusters, definition.Dimensions, definition.ShardSize, 300);
        StatisticsBatch batch = StatisticsBatch.From("p", 2, view.Version, runner.Run(new HardEStepWork(centroids), batches[1], 300), batches[1]) with { Incarnation = incarnation };

        BatchReceipt first = await grain.ApplyStatistics(batch);
        BatchReceipt second = await grain.ApplyStatistics(batch);
        BatchReceipt replayedSeed = await grain.AddPoints(new PointsBatch { Producer = "p", Sequence = 1, Points = batches[0], Incarnation = incarnation });
        ModelSummary summary = await grain.GetSummary();

        Assert.Equal(BatchOutcome.Applied, seeded.Outcome);
        Assert.Equal(BatchOutcome.Applied, first.Outcome);
        Assert.Equal(new BatchReceipt(BatchOutcome.Duplicate, first.Version, true), second);
        Assert.Equal(BatchOutcome.Duplicate, replayedSeed.Outcome);
        Assert.Equal(2, summary.DuplicatesDropped);
        Assert.Equal(600, summary.PointsApplied);
        Assert.Equal(TestData.Comparable(TestData.Reference(definition, batches).ToState()), TestData.Comparable(summary.State!));
    }

    [Fact]
    public async Task Grain_Deactivated_RestoresItsStateAndGoesOn()
    {
        ClusterModelDefinition definition = TestData.Definition();
        float[][] batches = TestData.Batches(seed: 3, batches: 8, pointsPerBatch: 100, definition.Clusters, definition.Dimensions);
        IReadOnlyList<SiloIngest> ingests = fixture.Ingests;
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("moves");
        await grain.Define(definition);
        for (int b = 0; b < 6; b++)
        {
            await ingests[b % 3].PostAsync("moves", batches[b]);
        }

        ModelSummary before = await grain.GetSummary();
        await fixture.Cluster.DeactivateAsync(grain);
        ModelSummary restored = await grain.GetSummary();
        for (int b = 6; b < batches.Length; b++)
        {
            await ingests[b % 3].PostAsync("moves", batches[b]);
        }

        ModelSummary after = await grain.GetSummary();
        Assert.Equal(TestData.Comparable(before.State!), TestData.Comparable(restored.State!));
        Assert.Equal(800, after.PointsApplied);
        Assert.Equal(TestData.Comparable(TestData.Reference(definition, batches).ToState()), TestData.Comparable(after.State!));
    }

    [Fact]
    public async Task Define_OtherSettingsForADefinedModel_RefusedNamingBoth()
    {
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("defined");
        await grain.Define(TestData.Definition(clusters: 4));

        ClusterModelDefinition same = await grain.Define(TestData.Definition(clusters: 4));
        ArgumentException refused = await Assert.ThrowsAsync<ArgumentException>(() => grain.Define(TestData.Definition(clusters: 5)));

        Assert.Equal(4, same.Clusters);
        Assert.StartsWith("The model 'defined' is defined as ClusterModelDefinition { Clusters = 4,", refused.Message, StringComparison.Ordinal);
        Assert.Contains("not ClusterModelDefinition { Clusters = 5,", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddPoints_SeedingFollowedByANonFiniteUpdate_TheWholeBufferCountedAsRefused()
    {
        ClusterModelDefinition definition = new() { Clusters = 1, Dimensions = 2, SeedingBufferSize = 3 };
        SiloIngest ingest = fixture.Ingests[0];
        await ingest.DefineAsync("refused-after-seeding", definition);

        // k = 1 seeds on the mean, 0; the squared distances of the last points to it overflow float.
        BatchReceipt buffered = await ingest.PostAsync("refused-after-seeding", new float[] { 1, 1 });
        BatchReceipt refused = await ingest.PostAsync("refused-after-seeding", new float[] { 3e38f, 3e38f, -3e38f, -3e38f });
        ModelSummary summary = await fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("refused-after-seeding").GetSummary();

        Assert.Equal((BatchOutcome.Buffered, BatchOutcome.Refused), (buffered.Outcome, refused.Outcome));
        Assert.Equal(3, summary.PointsApplied + summary.PointsBuffered + summary.PointsRefused);
        Assert.Equal(3, summary.PointsRefused);
    }

    [Fact]
    public async Task AddPoints_WithoutIncarnation_RefusedByAModelDeletedAndMadeAgainWithTheSameKAndD()
    {
        // A batch without an incarnation is one of a model defined before models had them: once that model
        // is deleted and made again (the new one has an incarnation), such a batch is not the new model's.
        ClusterModelDefinition definition = TestData.Definition();
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("incarnation-strict");
        await grain.Define(definition);
        Assert.True(await grain.Delete());
        ClusterModelDefinition remade = await grain.Define(definition);
        float[][] batches = TestData.Batches(seed: 5, batches: 1, pointsPerBatch: 10, definition.Clusters, definition.Dimensions);

        await Assert.ThrowsAsync<KeyNotFoundException>(() => grain.AddPoints(new PointsBatch { Producer = "old", Sequence = 1, Points = batches[0] }));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => grain.ApplyStatistics(StatisticsBatch.CountsOnlyFrom("old", 1, [new SourceTally("http", 0, 1)])));
        ModelSummary refused = await grain.GetSummary();
        BatchReceipt taken = await grain.AddPoints(new PointsBatch { Producer = "new", Sequence = 1, Points = batches[0], Incarnation = remade.Incarnation });

        Assert.NotNull(remade.Incarnation);
        Assert.Equal((0L, 0L, 0L), (refused.PointsApplied, refused.PointsBuffered, refused.PointsRejected));
        Assert.Equal(BatchOutcome.Buffered, taken.Outcome);
    }
}
