using Microsoft.Extensions.Configuration;
using StreamingClusters.Cluster.Catalog;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.MStep;
using ModelSettings = StreamingClusters.Models.ModelSettings;

namespace StreamingClusters.Cluster.Tests.Catalog;

public sealed class ClusterModelDefinitionsTests
{
    private const string Where = "StreamingClusters:Models:plant-a";

    [Fact]
    public void Create_OwnSettingsOverTopLevel_LayeredKeyByKey()
    {
        IConfiguration top = Top(("Clusters", "5"), ("Dimensions", "3"), ("Seed", "9"));

        ClusterModelDefinition? definition = ClusterModelDefinitions.Create(
            top, Settings(("Clusters", "12"), ("HalfLife", "5000points"), ("Seeding:BufferSize", "600")), Where, out IReadOnlyList<string> problems);

        Assert.Empty(problems);
        Assert.Equal(new ClusterModelDefinition
        {
            Clusters = 12,
            Dimensions = 3,
            Seed = 9,
            SeedingBufferSize = 600,
            HalfLifeValue = 5000,
            HalfLifeUnit = HalfLifeUnit.Points,
            Repair = true,
        }, definition);
    }

    [Fact]
    public void Create_WhatClusterModeCannotHonour_RefusedNamingEachSetting()
    {
        ClusterModelDefinition? definition = ClusterModelDefinitions.Create(
            Top(), Settings(("Model", "GaussianMixture"), ("Scaling", "standardize"), ("Clusters", "0")), Where, out IReadOnlyList<string> problems);

        Assert.Null(definition);
        Assert.Equal(
        [
            $"{Where}:Clusters must be a whole number of at least 1, got '0'.",
            "StreamingClusters:Dimensions must be set in cluster mode (every silo E-steps against the same d from the first point on).",
            $"{Where}:Model must be KMeans in cluster mode (a mixture's statistics do not travel yet), got 'GaussianMixture'.",
            $"{Where}:Scaling must be none in cluster mode (the silos would each learn their own scaling), got 'standardize'.",
        ], problems);
    }

    [Fact]
    public void Create_SeedingStartsBreathsAndOwnLimits_CarriedIntoTheDefinitionAndTheModel()
    {
        ClusterModelDefinition? definition = ClusterModelDefinitions.Create(
            Top(("Dimensions", "2"), ("Seeding:Starts", "3"), ("MaxAbsoluteValue", "1000")),
            Settings(("Seeding:Breaths", "0"), ("MaxAbsoluteValue", "10"), ("MaxRecordLength", "128")),
            Where,
            out IReadOnlyList<string> problems);

        Assert.Empty(problems);
        Assert.NotNull(definition);
        Assert.Equal((3, 0), (definition.SeedingStarts, definition.SeedingBreaths));
        Assert.Equal((3, 0), (definition.ToSettings().SeedingStarts, definition.ToSettings().SeedingBreaths));
        Assert.Equal((10d, 128), (definition.MaxAbsoluteValue, definition.MaxRecordLength));
    }

    [Fact]
    public void Create_ASingleProcessSettingOfTheModelsOwn_RefusedNamingTheKey()
    {
        ClusterModelDefinition? definition = ClusterModelDefinitions.Create(
            Top(("Dimensions", "2"), ("BatchSize", "64")),
            Settings(("Seeding:IdleTimeout", "00:00:05"), ("BatchSize", "100"), ("Parallelism", "2"), ("Mixture:SeedingStarts", "2"), ("Seeding:Starts", "2")),
            Where,
            out IReadOnlyList<string> problems);

        Assert.Null(definition);
        Assert.Equal(
        [
            $"{Where}:BatchSize is not taken in cluster mode.",
            $"{Where}:Mixture:SeedingStarts is not taken in cluster mode.",
            $"{Where}:Parallelism is not taken in cluster mode.",
            $"{Where}:Seeding:IdleTimeout is not taken in cluster mode.",
        ], problems);
    }

    [Fact]
    public void ForDefault_TopLevelSettings_TheDefinitionWithTheRecordLimitsAndWithoutThePipelinesOwnSettings()
    {
        IConfiguration top = Top(
            ("Clusters", "5"), ("Dimensions", "3"), ("HalfLife", "10batches"), ("Seeding:Starts", "2"), ("MaxAbsoluteValue", "1000"),
            ("BatchSize", "100"), ("BatchTimeout", "2s"), ("Parallelism", "1"), ("BlockSize", "64"), ("ChannelCapacity", "4096"),
            ("Checkpoint:Interval", "30s"), ("Cluster:Redis", "127.0.0.1:6379"), ("Http:ApiKey", "k"), ("Models:a:BatchSize", "7"), ("Model", "kmeans"), ("Scaling", "none"));

        ClusterModelDefinition? definition = ClusterModelDefinitions.ForDefault(top, out IReadOnlyList<string> problems);

        Assert.Empty(problems);
        Assert.Equal(new ClusterModelDefinition
        {
            Clusters = 5,
            Dimensions = 3,
            HalfLifeValue = 10,
            HalfLifeUnit = HalfLifeUnit.Batches,
            SeedingStarts = 2,
            Repair = true,
            MaxAbsoluteValue = 1000,
            MaxRecordLength = 65_536,
        }, definition);
    }

    [Fact]
    public void ForDefault_TopLevelSettingsClusterModeCannotHonour_RefusedNamingEachSetting()
    {
        IConfiguration top = Top(
            ("Scaling", "standardize"), ("Seeding:IdleTimeout", "5s"), ("Mixture:VarianceFloor", "0.01"), ("InitialCentroids:0:0", "1"), ("BatchSize", "100"));

        ClusterModelDefinition? definition = ClusterModelDefinitions.ForDefault(top, out IReadOnlyList<string> problems);

        Assert.Null(definition);
        Assert.Equal(
        [
            "StreamingClusters:Dimensions must be set in cluster mode (every silo E-steps against the same d from the first point on).",
            "StreamingClusters:Scaling must be none in cluster mode (the silos would each learn their own scaling), got 'standardize'.",
            "StreamingClusters:InitialCentroids is not taken in cluster mode: the model grain seeds on the first points.",
            "StreamingClusters:Mixture:VarianceFloor is not taken in cluster mode.",
            "StreamingClusters:Seeding:IdleTimeout is not taken in cluster mode.",
        ], problems);
    }

    [Fact]
    public void Differences_TwoDefinitions_EachSettingThatDiffersNamedWithBothValues()
    {
        var existing = new ClusterModelDefinition { Clusters = 3, Dimensions = 2, MaxAbsoluteValue = 1e15 };

        IReadOnlyList<string> differences = ClusterModelDefinitions.Differences(
            existing with { Clusters = 4, HalfLifeValue = 20, HalfLifeUnit = HalfLifeUnit.Points, MaxAbsoluteValue = 10 }, existing, "StreamingClusters", "default");

        Assert.Equal(
        [
            "StreamingClusters:Clusters is 4 here, but the model 'default' in the cluster has 3: a model's settings do not change once it is made, so every worker must give the same.",
            "StreamingClusters:HalfLife is 20points here, but the model 'default' in the cluster has none: a model's settings do not change once it is made, so every worker must give the same.",
            "StreamingClusters:MaxAbsoluteValue is 10 here, but the model 'default' in the cluster has 1000000000000000: a model's settings do not change once it is made, so every worker must give the same.",
        ], differences);
    }

    private static IConfiguration Top(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static ModelSettings Settings(params (string Key, string Value)[] values) =>
        new(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)));
}
