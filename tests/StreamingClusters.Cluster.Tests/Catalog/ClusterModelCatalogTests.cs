using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamingClusters.Cluster.Catalog;
using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.Diagnostics;
using StreamingClusters.Ingest;
using StreamingClusters.Models;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Sinks;

namespace StreamingClusters.Cluster.Tests.Catalog;

[Collection(ClusterCollection.Name)]
public sealed class ClusterModelCatalogTests(ClusterFixture fixture)
{
    [Fact]
    public async Task CreateAsync_ASettingClusterModeCannotHonour_RefusedNamingIt()
    {
        IConfiguration configuration = Configuration([]);

        ModelCreation created = await Catalog(configuration).CreateAsync("idle-timeout", Settings(("Clusters", "2"), ("Seeding:IdleTimeout", "00:00:05")));

        Assert.Equal(ModelCreationOutcome.Refused, created.Outcome);
        Assert.Equal(["StreamingClusters:Models:idle-timeout:Seeding:IdleTimeout is not taken in cluster mode."], created.Problems);
    }

    [Fact]
    public async Task CreateAsync_ScalingStandardize_CreatedAndKeptInTheDefinition_OtherValuesRefusedNamingTheKey()
    {
        IConfiguration configuration = Configuration([]);
        ClusterModelCatalog catalog = Catalog(configuration);

        ModelCreation created = await catalog.CreateAsync("standardized", Settings(("Clusters", "2"), ("Scaling", "standardize")));
        ModelCreation refused = await catalog.CreateAsync("min-max", Settings(("Clusters", "2"), ("Scaling", "minmax")));
        ClusterModelDefinition? definition = await fixture.Cluster.GrainFactory.GetGrain<StreamingClusters.Cluster.Grains.IModelGrain>("standardized").GetDefinition();

        Assert.Equal(ModelCreationOutcome.Created, created.Outcome);
        Assert.Equal(ScalingMode.Standardize, definition!.Scaling);
        Assert.Equal(ModelCreationOutcome.Refused, refused.Outcome);
        Assert.Equal(["StreamingClusters:Models:min-max:Scaling must be none or standardize, got 'minmax'."], refused.Problems);
    }

    [Fact]
    public async Task TryWriteAsync_TheModelsOwnMaxAbsoluteValue_PointsBeyondItRejected()
    {
        IConfiguration configuration = Configuration([]);
        ClusterModelCatalog catalog = Catalog(configuration);
        ModelCreation created = await catalog.CreateAsync("own-limit", Settings(("Clusters", "2"), ("MaxAbsoluteValue", "10")));
        IModelHandle handle = (await catalog.FindAsync("own-limit"))!;

        WriteResult? result = await handle.TryWriteAsync("test", new float[] { 50, 1 }, 2, null, TimeSpan.FromMinutes(1));
        ModelInfo info = await handle.DescribeAsync();

        Assert.Equal(ModelCreationOutcome.Created, created.Outcome);
        Assert.Equal(new WriteResult(0, 1), result);
        Assert.Equal(10d, info.MaxAbsoluteValue);
    }

    [Fact]
    public async Task TryWriteAsync_ABatchTheGrainRefuses_ItsPointsAreRejectedNotAccepted()
    {
        IConfiguration configuration = Configuration([]);
        ClusterModelCatalog catalog = Catalog(configuration);
        await catalog.CreateAsync("refused-batch", Settings(("Clusters", "1"), ("Seeding:BufferSize", "2"), ("MaxAbsoluteValue", "3.4e38")));
        IModelHandle handle = (await catalog.FindAsync("refused-batch"))!;

        // k = 1 seeds on the mean, 0; the squared distances of the points to it overflow float, so the
        // update that applies them would make the inertia non-finite.
        WriteResult? result = await handle.TryWriteAsync("test", new float[] { 3e38f, 3e38f, -3e38f, -3e38f }, 2, null, TimeSpan.FromMinutes(1));

        Assert.Equal(new WriteResult(0, 2), result);
    }

    [Fact]
    public async Task ScoreAsync_ASiloThatOnlyScores_FollowsTheModelsVersions()
    {
        const string Name = "scored-elsewhere";
        await fixture.Ingests[0].DefineAsync(Name, new ClusterModelDefinition { Clusters = 2, Dimensions = 2, SeedingBufferSize = 4 });
        BatchReceipt seeded = await fixture.Ingests[0].PostAsync(Name, new float[] { 0, 0, 0, 1, 9, 9, 9, 10 });
        var scorer = new GrainModelHandle(Name, fixture.Ingests[1], 1e15f, 65_536, TimeProvider.System, NullLogger.Instance);
        float[] probe = [0, 0];

        // The fixture's silos ask the grain for its version before every use (CentroidRefreshInterval 0).
        ModelScores? first = await scorer.ScoreAsync(probe, 2);
        BatchReceipt moved = await fixture.Ingests[0].PostAsync(Name, new float[] { 0, 2, 9, 11 });
        ModelScores? second = await scorer.ScoreAsync(probe, 2);

        Assert.Equal(BatchOutcome.Applied, seeded.Outcome);
        Assert.True(moved.Version > seeded.Version);
        Assert.Equal(seeded.Version, first!.Version);
        Assert.Equal(moved.Version, second!.Version);
    }

    [Fact]
    public async Task StartAsync_DeclaredModelsClusterModeRefuses_OptionsValidationExceptionNamingEachSetting()
    {
        IConfiguration configuration = Configuration(new()
        {
            ["StreamingClusters:Models:no-clusters:Clusters"] = "0",
            ["StreamingClusters:Models:batched:BatchSize"] = "100",
        });

        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => Catalog(configuration).StartAsync(CancellationToken.None));

        Assert.Equal(
        [
            "StreamingClusters:Models:batched:BatchSize is not taken in cluster mode.",
            "StreamingClusters:Models:no-clusters:Clusters must be a whole number of at least 1, got '0'.",
        ], ex.Failures.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PostAndScore_AsTheHttpEndpointsDo_AfterTheFirstRequestNoDefinitionOrSummaryCallReachesTheGrain()
    {
        const string Name = "counted-calls";
        const int Posts = 5;
        IConfiguration configuration = Configuration([]);
        ClusterModelCatalog catalog = Catalog(configuration);
        await catalog.CreateAsync(Name, Settings(("Clusters", "2"), ("Seeding:BufferSize", "4")));
        Assert.Equal(new WriteResult(4, 0), await PostAsync(catalog, Name, [0, 0, 0, 1, 10, 10, 10, 11]));
        GrainCallCounter.Reset(Name);

        var written = new List<WriteResult?>();
        for (int i = 0; i < Posts; i++)
        {
            written.Add(await PostAsync(catalog, Name, [0, 0.5f, 10, 10.5f]));
        }

        IReadOnlyList<(string Method, int Calls)> posting = GrainCallCounter.Calls(Name);
        GrainCallCounter.Reset(Name);
        var scored = new List<ModelScores?>();
        for (int i = 0; i < Posts; i++)
        {
            // As POST /models/{name}/score does: find the model, read its limits, score.
            IModelHandle model = (await catalog.FindAsync(Name))!;
            RecordLimits limits = await model.LimitsAsync();
            scored.Add(await model.ScoreAsync(new float[] { 0, 0 }, limits.Dimensions));
        }

        IReadOnlyList<(string Method, int Calls)> scoring = GrainCallCounter.Calls(Name);

        Assert.All(written, w => Assert.Equal(new WriteResult(2, 0), w));
        Assert.All(scored, s => Assert.NotNull(s));
        // The statistics of each post, and nothing else but the silo's following of the model's version
        // (GetCentroids: before each block, as the test silos' CentroidRefreshInterval is zero, and after
        // each batch that moved it); no call to define, find or describe the model. A score asks twice
        // only because that interval is zero: the limits' read and the score's each find a refresh due
        // (at any other interval the limits' refresh is the score's too).
        Assert.Equal(["ApplyStatistics", "GetCentroids"], posting.Select(c => c.Method));
        Assert.Equal(Posts, posting[0].Calls);
        Assert.Equal([("GetCentroids", 2 * Posts)], scoring);
    }

    [Fact]
    public async Task Default_PostedRoundRobinOnThreeSilosAndReadOnAnother_BitIdenticalToSingleProcess()
    {
        IConfiguration configuration = Configuration([]);
        ClusterModelCatalog[] catalogs = [.. Enumerable.Range(0, 3).Select(silo => Catalog(configuration, silo))];
        foreach (ClusterModelCatalog catalog in catalogs)
        {
            await catalog.StartAsync(CancellationToken.None);
        }

        ClusterModelDefinition definition = (await fixture.Cluster.GrainFactory.GetGrain<IModelGrain>(ModelName.Default).GetDefinition())!;
        float[][] batches = TestData.Batches(seed: 4, batches: 12, pointsPerBatch: 100, definition.Clusters, definition.Dimensions);
        var written = new List<WriteResult?>();
        for (int b = 0; b < batches.Length; b++)
        {
            // As POST /points does on whichever worker a client reaches.
            written.Add(await PostAsync(catalogs[b % 3], ModelName.Default, batches[b]));
        }

        CentroidSnapshot? read = await (await catalogs[1].FindAsync(ModelName.Default))!.LatestAsync();
        IReadOnlyList<ModelInfo> listed = await catalogs[2].ListAsync();
        ModelSummary summary = await fixture.Cluster.GrainFactory.GetGrain<IModelGrain>(ModelName.Default).GetSummary();
        var reference = TestData.Reference(definition, batches);

        Assert.Equal((3, 2, 300, 11UL, "2000points", 3, 4), (definition.Clusters, definition.Dimensions, definition.SeedingBufferSize, definition.Seed, definition.HalfLife.ToString(), definition.RefineIterations, definition.SeedingCandidates));
        Assert.All(written, w => Assert.Equal(new WriteResult(100, 0), w));
        Assert.Equal((reference.Version, 1200L), (read!.Version, read.PointsApplied));
        ModelInfo listedDefault = Assert.Single(listed, m => m.Name == ModelName.Default);
        Assert.Equal((reference.Version, 1200L), (listedDefault.Version, listedDefault.PointsApplied));
        Assert.Equal(TestData.Comparable(reference.ToState()), TestData.Comparable(summary.State!));
    }

    [Fact]
    public async Task StartAsync_TopLevelSettingsDifferFromTheClustersDefault_RefusedNamingEachSetting()
    {
        await Catalog(Configuration([])).StartAsync(CancellationToken.None);
        ClusterModelCatalog other = Catalog(Configuration(new() { ["StreamingClusters:Clusters"] = "4", ["StreamingClusters:Seed"] = "12" }), silo: 1);

        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => other.StartAsync(CancellationToken.None));

        Assert.Equal(
        [
            "StreamingClusters:Clusters is 4 here, but the model 'default' in the cluster has 3: a model's settings do not change once it is made, so every worker must give the same.",
            "StreamingClusters:Seed is 12 here, but the model 'default' in the cluster has 11: a model's settings do not change once it is made, so every worker must give the same.",
        ], ex.Failures);
    }

    [Fact]
    public async Task CreateAsync_Default_ExistsWithTheTopLevelSettingsAndConflictsWithOthers()
    {
        ClusterModelCatalog catalog = Catalog(Configuration([]));
        await catalog.StartAsync(CancellationToken.None);

        ModelCreation same = await catalog.CreateAsync(ModelName.Default, ModelOverrides.Empty);
        ModelCreation other = await catalog.CreateAsync(ModelName.Default, Settings(("Clusters", "5")));

        Assert.Equal((ModelCreationOutcome.Exists, 3), (same.Outcome, same.Model!.Clusters));
        Assert.Equal(ModelCreationOutcome.Conflict, other.Outcome);
        Assert.Equal(["the model 'default' exists with other settings (the top-level ones); a model's settings do not change once it is made"], other.Problems);
    }

    [Fact]
    public async Task DeleteAsync_Default_RefusedAndTheModelStays()
    {
        ClusterModelCatalog catalog = Catalog(Configuration([]));
        await catalog.StartAsync(CancellationToken.None);

        ModelDeletion deletion = await catalog.DeleteAsync(ModelName.Default);
        ClusterModelDefinition? definition = await fixture.Cluster.GrainFactory.GetGrain<IModelGrain>(ModelName.Default).GetDefinition();

        Assert.Equal(ModelDeletionOutcome.Refused, deletion.Outcome);
        Assert.Contains("top-level StreamingClusters settings", deletion.Problem, StringComparison.Ordinal);
        Assert.Equal(3, definition!.Clusters);
        Assert.Contains(ModelName.Default, await catalog.NamesAsync());
    }

    [Fact]
    public async Task StartAsync_ADeclaredModelNamedDefault_RefusedNamingIt()
    {
        IConfiguration configuration = Configuration(new() { ["StreamingClusters:Models:default:Clusters"] = "3" });

        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => Catalog(configuration).StartAsync(CancellationToken.None));

        Assert.Equal(["StreamingClusters:Models:default: 'default' is the model of the top-level StreamingClusters settings; give the named model another name."], ex.Failures);
    }

    /// <summary>Posts as POST /models/{name}/points does: finds the model, reads its limits, writes.</summary>
    private static async Task<WriteResult?> PostAsync(ClusterModelCatalog catalog, string name, float[] points)
    {
        IModelHandle model = (await catalog.FindAsync(name))!;
        RecordLimits limits = await model.LimitsAsync();
        return await model.TryWriteAsync("http", points, limits.Dimensions, null, TimeSpan.FromMinutes(1));
    }

    private static ModelOverrides Settings(params (string Key, string Value)[] values) =>
        new(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)));

    /// <summary>
    /// The top-level settings, which are the model default's: the same in every test that does not
    /// change them on purpose, since the fixture's silos share one default grain.
    /// </summary>
    private static IConfiguration Configuration(Dictionary<string, string?> values)
    {
        values.TryAdd("StreamingClusters:Dimensions", "2");
        values.TryAdd("StreamingClusters:Clusters", "3");
        values.TryAdd("StreamingClusters:Seed", "11");
        values.TryAdd("StreamingClusters:HalfLife", "2000points");
        values.TryAdd("StreamingClusters:Seeding:BufferSize", "300");
        values.TryAdd("StreamingClusters:Seeding:RefineIterations", "3");
        values.TryAdd("StreamingClusters:Seeding:Candidates", "4");
        // Settings of a single process's pipeline, left aside for the model default in cluster mode.
        values.TryAdd("StreamingClusters:BatchSize", "100");
        values.TryAdd("StreamingClusters:Parallelism", "1");
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    private ClusterModelCatalog Catalog(IConfiguration configuration, int silo = 0) =>
        new(fixture.Ingests[silo], configuration, fixture.Cluster.GrainFactory, TimeProvider.System, NullLoggerFactory.Instance);
}
