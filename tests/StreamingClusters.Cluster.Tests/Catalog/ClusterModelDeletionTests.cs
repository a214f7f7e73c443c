using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Cluster.Catalog;
using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Ingest;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.Ingest;
using StreamingClusters.Models;
using StreamingClusters.Options;

namespace StreamingClusters.Cluster.Tests.Catalog;

/// <summary>Deleting a model in cluster mode, seen from every silo: gone everywhere, its name free for another model.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterModelDeletionTests(ClusterFixture fixture)
{
    private static readonly ModelOverrides TwoClusters = Settings(("Clusters", "2"), ("Dimensions", "2"), ("Seeding:BufferSize", "4"));
    private static readonly ModelOverrides ThreeClusters = Settings(("Clusters", "3"), ("Dimensions", "2"), ("Seeding:BufferSize", "4"));

    /// <summary>Four points in two groups, then three groups, of two dimensions.</summary>
    private static readonly float[] FourPoints = [0, 0, 0, 1, 9, 9, 9, 10];
    private static readonly float[] ThreeGroups = [0, 0, 0, 1, 9, 9, -9, 5];

    private readonly IConfiguration _configuration = new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["StreamingClusters:Dimensions"] = "2", ["StreamingClusters:Models:declared:Clusters"] = "2" })
        .Build();

    [Fact]
    public async Task Delete_OnSiloA_PostOnB404_RemadeWithAnotherKOnB_PostOnCThatHeldTheOldOne_WorksWithTheNewK()
    {
        const string Name = "deleted-everywhere";
        (ClusterModelCatalog a, ClusterModelCatalog b, ClusterModelCatalog c) = (Catalog(0), Catalog(1), Catalog(2));
        Assert.Equal(ModelCreationOutcome.Created, (await a.CreateAsync(Name, TwoClusters)).Outcome);
        Assert.Equal(new WriteResult(4, 0), await PostAsync(b, Name, FourPoints));
        Assert.Equal(new WriteResult(4, 0), await PostAsync(c, Name, FourPoints));

        ModelDeletion deleted = await a.DeleteAsync(Name);
        ModelDeletion again = await a.DeleteAsync(Name);

        Assert.Equal((ModelDeletionOutcome.Deleted, ModelDeletionOutcome.NotFound), (deleted.Outcome, again.Outcome));
        Assert.Null(await a.FindAsync(Name));
        Assert.DoesNotContain(Name, (await c.ListAsync()).Select(m => m.Name));

        // C still holds the definition: its handle is found, and the grain says the model is gone (GET /models/{name} answers 404).
        IModelHandle stale = (await c.FindAsync(Name))!;
        await Assert.ThrowsAsync<KeyNotFoundException>(async () => await stale.LatestAsync());

        // B held the model's definition: its post meets the deleted model, and from then on B has none.
        KeyNotFoundException gone = await Assert.ThrowsAsync<KeyNotFoundException>(() => PostAsync(b, Name, FourPoints));
        Assert.Equal($"No model named '{Name}' is defined.", gone.Message);
        Assert.Null(await b.FindAsync(Name));

        Assert.Equal(ModelCreationOutcome.Created, (await b.CreateAsync(Name, ThreeClusters)).Outcome);

        // C still holds the old definition (k = 2): it finds out before it takes the points, and they go to the new model.
        WriteResult? posted = await PostAsync(c, Name, ThreeGroups);
        ModelInfo info = await (await c.FindAsync(Name))!.DescribeAsync();

        Assert.Equal(new WriteResult(4, 0), posted);
        Assert.Equal((3, 4L), (info.Clusters, info.PointsApplied));
        Assert.Equal(3, (await fixture.Ingests[2].FeedAsync(Name)).Definition.Clusters);
    }

    [Fact]
    public async Task Post_ReadForAModelMadeAgainWithAnotherD_NotAppliedToTheNewModel()
    {
        const string Name = "remade-with-another-d";
        (ClusterModelCatalog a, ClusterModelCatalog b) = (Catalog(0), Catalog(1));
        Assert.Equal(ModelCreationOutcome.Created, (await a.CreateAsync(Name, TwoClusters)).Outcome);
        Assert.Equal(new WriteResult(4, 0), await PostAsync(b, Name, FourPoints));
        ClusterModelDefinition readFor = (await fixture.Ingests[1].FeedAsync(Name)).Definition;

        await a.DeleteAsync(Name);
        Assert.Equal(ModelCreationOutcome.Created, (await a.CreateAsync(Name, Settings(("Clusters", "2"), ("Dimensions", "4"), ("Seeding:BufferSize", "2")))).Outcome);

        // Eight values read as four points of d = 2 are also two points of d = 4: they must not become those.
        KeyNotFoundException refused = await Assert.ThrowsAsync<KeyNotFoundException>(
            () => fixture.Ingests[1].PostAsync(Name, "http", FourPoints, 0, readFor));
        ModelInfo info = await (await a.FindAsync(Name))!.DescribeAsync();

        Assert.Contains("read for d = 2", refused.Message, StringComparison.Ordinal);
        Assert.Equal((4, 0L), (info.Dimensions, info.PointsApplied));
    }

    [Fact]
    public async Task Delete_WhileAStatisticsBatchIsOnItsWay_NotAppliedToTheModelMadeAgain_AndItsPostFails()
    {
        const string Name = "deleted-in-flight";
        (ClusterModelCatalog a, ClusterModelCatalog b) = (Catalog(0), Catalog(1));
        await a.CreateAsync(Name, TwoClusters);
        Assert.Equal(new WriteResult(4, 0), await PostAsync(b, Name, FourPoints));

        (Task held, Action release) = HeldCall.Arm(Name);
        Task<WriteResult?> post = PostAsync(b, Name, FourPoints);
        await held;
        Assert.Equal(ModelDeletionOutcome.Deleted, (await a.DeleteAsync(Name)).Outcome);
        Assert.Equal(ModelCreationOutcome.Created, (await a.CreateAsync(Name, ThreeClusters)).Outcome);
        release();

        KeyNotFoundException refused = await Assert.ThrowsAsync<KeyNotFoundException>(() => post);
        ModelInfo remade = await (await a.FindAsync(Name))!.DescribeAsync();

        Assert.Equal($"The model '{Name}' was deleted while these points were on their way; they were not applied.", refused.Message);
        Assert.Equal((3, 0L, -1L), (remade.Clusters, remade.PointsApplied, remade.Version));
    }

    [Fact]
    public async Task Post_ThroughAFeedMadeAgainOnTheSameSilo_AppliedNotDroppedAsADuplicate()
    {
        // A silo drops its feed of a model it thinks made anew (a PUT racing another); the next post makes a
        // new feed, whose batches are numbered from 1 again.
        const string Name = "feed-made-again";
        ClusterModelCatalog a = Catalog(0);
        await a.CreateAsync(Name, TwoClusters);
        Assert.Equal(new WriteResult(4, 0), await PostAsync(a, Name, FourPoints));
        fixture.Ingests[0].Forget(Name);

        WriteResult? again = await PostAsync(a, Name, FourPoints);
        ModelInfo info = await (await a.FindAsync(Name))!.DescribeAsync();
        ModelSummary summary = await fixture.Ingests[0].Grain(Name).GetSummary();

        Assert.Equal(new WriteResult(4, 0), again);
        Assert.Equal(8L, summary.PointsApplied + summary.PointsBuffered);
        Assert.Equal(0L, summary.DuplicatesDropped);
        Assert.Equal(8L, info.PointsApplied);
    }

    [Fact]
    public async Task Create_WhenTheModelIsDefinedAlready_KeepsTheSilosFeedOfIt()
    {
        const string Name = "feed-kept";
        ClusterModelCatalog a = Catalog(0);
        await a.CreateAsync(Name, TwoClusters);
        Assert.Equal(new WriteResult(4, 0), await PostAsync(a, Name, FourPoints));
        ModelFeed before = await fixture.Ingests[0].FeedAsync(Name);

        ModelCreation again = await a.CreateAsync(Name, TwoClusters);

        Assert.Equal(ModelCreationOutcome.Exists, again.Outcome);
        Assert.Same(before, await fixture.Ingests[0].FeedAsync(Name));
    }

    [Fact]
    public async Task Delete_RemadeWithAnotherDOnB_PostAndScoreOnCThatHeldTheOldD_UseTheNewD()
    {
        const string Name = "remade-wider";
        (ClusterModelCatalog a, ClusterModelCatalog b, ClusterModelCatalog c) = (Catalog(0), Catalog(1), Catalog(2));
        await a.CreateAsync(Name, TwoClusters);
        Assert.Equal(new WriteResult(4, 0), await PostAsync(c, Name, FourPoints));
        Assert.Equal(ModelDeletionOutcome.Deleted, (await a.DeleteAsync(Name)).Outcome);
        Assert.Equal(ModelCreationOutcome.Created, (await b.CreateAsync(Name, Settings(("Clusters", "2"), ("Dimensions", "3"), ("Seeding:BufferSize", "4")))).Outcome);

        // C holds the old model's definition (d = 2) until it asks the grain again.
        IModelHandle model = (await c.FindAsync(Name))!;
        RecordLimits limits = await model.LimitsAsync();
        WriteResult? posted = await model.TryWriteAsync("http", new float[] { 0, 0, 0, 0, 1, 0, 9, 9, 9, 9, 10, 9 }, limits.Dimensions, null, TimeSpan.FromMinutes(1));
        ModelScores? scores = await model.ScoreAsync(new float[] { 9, 9, 9 }, 3);

        Assert.Equal(3, limits.Dimensions);
        Assert.Equal(new WriteResult(4, 0), posted);
        Assert.NotNull(scores);
        Assert.Single(scores.Clusters);
    }

    [Fact]
    public async Task List_ANameListedWithoutItsModel_LeftOutAndTheOthersListed()
    {
        // What a DELETE racing a PUT of the same name could leave: the name listed, the model undefined.
        const string Name = "listed-without-model";
        ClusterModelCatalog a = Catalog(0);
        await a.CreateAsync("listed-with-model", TwoClusters);
        IModelRegistryGrain registry = fixture.Cluster.GrainFactory.GetGrain<IModelRegistryGrain>(0);
        await registry.Add(Name);
        try
        {
            IReadOnlyList<ModelInfo> listed = await a.ListAsync();

            Assert.DoesNotContain(Name, listed.Select(m => m.Name));
            Assert.Contains("listed-with-model", listed.Select(m => m.Name));
        }
        finally
        {
            await registry.Remove(Name);
        }
    }

    [Fact]
    public async Task Delete_DefaultADeclaredOrAnUnknownModel_RefusedOrNotFound()
    {
        ClusterModelCatalog a = Catalog(0);

        ModelDeletion[] answers = [await a.DeleteAsync(ModelName.Default), await a.DeleteAsync("declared"), await a.DeleteAsync("never-made")];

        Assert.Equal([ModelDeletionOutcome.Refused, ModelDeletionOutcome.Refused, ModelDeletionOutcome.NotFound], answers.Select(d => d.Outcome));
        Assert.Contains("StreamingClusters:Models:declared", answers[1].Problem, StringComparison.Ordinal);
    }

    /// <summary>Posts as POST /models/{name}/points does: finds the model, reads its limits, writes.</summary>
    private static async Task<WriteResult?> PostAsync(ClusterModelCatalog catalog, string name, float[] points)
    {
        IModelHandle model = (await catalog.FindAsync(name)) ?? throw new KeyNotFoundException($"No model named '{name}' is defined.");
        RecordLimits limits = await model.LimitsAsync();
        return await model.TryWriteAsync("http", points, limits.Dimensions, null, TimeSpan.FromMinutes(1));
    }

    private static ModelOverrides Settings(params (string Key, string Value)[] values) =>
        new(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)));

    /// <summary>The catalog of the silo at <paramref name="silo"/>, as its worker has it.</summary>
    private ClusterModelCatalog Catalog(int silo) =>
        new(fixture.Ingests[silo], _configuration, fixture.Cluster.GrainFactory, TimeProvider.System, NullLoggerFactory.Instance);
}
