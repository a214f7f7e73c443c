using Microsoft.Extensions.Configuration;
using StreamingClusters.Cluster.Catalog;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.Mixture;
using StreamingClusters.MStep;
using StreamingClusters.Options;
using StreamingClusters.Models;

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
            Top(), Settings(("Model", "KMedoids"), ("Scaling", "zscore"), ("Clusters", "0")), Where, out IReadOnlyList<string> problems);

        Assert.Null(definition);
        Assert.Equal(
        [
            $"{Where}:Clusters must be a whole number of at least 1, got '0'.",
            "StreamingClusters:Dimensions must be set in cluster mode (every silo E-steps against the same d from the first point on).",
            $"{Where}:Model must be KMeans or GaussianMixture, got 'KMedoids'.",
            $"{Where}:Scaling must be none or standardize, got 'zscore'.",
        ], problems);
    }

    [Theory]
    [InlineData("standardize", null, ScalingMode.Standardize)]
    [InlineData(null, "Standardize", ScalingMode.Standardize)]
    [InlineData("none", "standardize", ScalingMode.None)]
    [InlineData(null, null, ScalingMode.None)]
    public void Create_Scaling_OwnOrTopLevelCarriedIntoTheDefinition(string? own, string? topLevel, ScalingMode expected)
    {
        ClusterModelDefinition? definition = ClusterModelDefinitions.Create(
            Top([("Dimensions", "2"), .. topLevel is null ? [] : new[] { ("Scaling", topLevel) }]),
            Settings(own is null ? [] : [("Scaling", own)]),
            Where,
            out IReadOnlyList<string> problems);

        Assert.Empty(problems);
        Assert.Equal(expected, definition!.Scaling);
    }

    [Fact]
    public void Create_TopLevelScalingNotAScaling_RefusedNamingTheTopLevelKey()
    {
        ClusterModelDefinition? definition = ClusterModelDefinitions.Create(
            Top(("Dimensions", "2"), ("Scaling", "minmax")), Settings(), Where, out IReadOnlyList<string> problems);

        Assert.Null(definition);
        Assert.Equal(["StreamingClusters:Scaling must be none or standardize, got 'minmax'."], problems);
    }

    [Fact]
    public void Create_OwnInitialCentroids_CarriedRowMajorOverTheTopLevelOnes()
    {
        ClusterModelDefinition? definition = ClusterModelDefinitions.Create(
            Top(("Dimensions", "2"), ("InitialCentroids:0:0", "9"), ("InitialCentroids:0:1", "9")),
            Settings(("Clusters", "2"), ("InitialCentroids:0:0", "1"), ("InitialCentroids:0:1", "2.5"), ("InitialCentroids:1:0", "-3"), ("InitialCentroids:1:1", "4")),
            Where,
            out IReadOnlyList<string> problems);

        Assert.Empty(problems);
        Assert.Equal([1, 2.5, -3, 4], definition!.InitialCentroids!.Values);
        Assert.Equal(definition, definition with { InitialCentroids = new ConfiguredCentroids { Values = [1, 2.5, -3, 4] } });
    }

    [Fact]
    public void Create_TopLevelInitialCentroids_TakenByAModelWithoutItsOwn()
    {
        ClusterModelDefinition? definition = ClusterModelDefinitions.Create(
            Top(("Clusters", "1"), ("Dimensions", "2"), ("InitialCentroids:0:0", "7"), ("InitialCentroids:0:1", "8")), Settings(), Where, out IReadOnlyList<string> problems);

        Assert.Empty(problems);
        Assert.Equal([7d, 8d], definition!.InitialCentroids!.Values);
    }

    [Theory]
    [InlineData("1", "x", $"{Where}:InitialCentroids:0 has a value that is not a finite number, got 'x'.")]
    [InlineData("2", "1", $"{Where}:InitialCentroids has 1 centroids but {Where}:Clusters is 2.")]
    public void Create_InitialCentroidsNotOfTheModelsShape_RefusedNamingTheKey(string clusters, string value, string problem)
    {
        ClusterModelDefinition? definition = ClusterModelDefinitions.Create(
            Top(("Dimensions", "2")), Settings(("Clusters", clusters), ("InitialCentroids:0:0", "1"), ("InitialCentroids:0:1", value)), Where, out IReadOnlyList<string> problems);

        Assert.Null(definition);
        Assert.Equal([problem], problems);
    }

    [Fact]
    public void Create_InitialCentroidsOfTooFewColumnsOrWithStandardize_RefusedNamingTheKeys()
    {
        ClusterModelDefinition? shortRow = ClusterModelDefinitions.Create(
            Top(("Dimensions", "2")), Settings(("Clusters", "1"), ("InitialCentroids:0:0", "1")), Where, out IReadOnlyList<string> shortProblems);
        ClusterModelDefinition? scaled = ClusterModelDefinitions.Create(
            Top(("Dimensions", "1"), ("Scaling", "standardize")), Settings(("Clusters", "1"), ("InitialCentroids:0:0", "1")), Where, out IReadOnlyList<string> scaledProblems);

        Assert.Null(shortRow);
        Assert.Equal([$"{Where}:InitialCentroids:0 must have 2 values (Dimensions)."], shortProblems);
        Assert.Null(scaled);
        Assert.Equal(
            [$"StreamingClusters:Scaling 'standardize' learns each column's mean and spread from the seeding buffer, which {Where}:InitialCentroids skips: give one or the other."],
            scaledProblems);
    }

    [Fact]
    public void Create_GaussianMixtureWithItsOwnChoices_CarriedIntoTheDefinitionWithoutRepair()
    {
        ClusterModelDefinition? definition = ClusterModelDefinitions.Create(
            Top(("Dimensions", "2"), ("Mixture:SeedingTolerance", "0.001")),
            Settings(("Model", "GaussianMixture"), ("Mixture:VarianceFloor", "0.01"), ("Mixture:SeedingStarts", "2"), ("Mixture:SeedingIterations", "7"), ("Repair", "true")),
            Where,
            out IReadOnlyList<string> problems);

        Assert.Empty(problems);
        Assert.Equal(ModelKind.GaussianMixture, definition!.Model);
        Assert.Equal(new MixtureOptions { RelativeVarianceFloor = 0.01, SeedingStarts = 2, SeedingIterations = 7, SeedingTolerance = 0.001 }, definition.ToMixtureOptions());
        Assert.False(definition.ToSettings().Repair);
    }

    [Fact]
    public void Create_GaussianMixtureWithStandardizeOrBadChoices_RefusedNamingTheKeys()
    {
        ClusterModelDefinition? definition = ClusterModelDefinitions.Create(
            Top(("Dimensions", "2"), ("Scaling", "standardize")),
            Settings(("Model", "GaussianMixture"), ("Mixture:VarianceFloor", "0.9")),
            Where,
            out IReadOnlyList<string> problems);

        Assert.Null(definition);
        Assert.Equal(
        [
            $"{Where}:Mixture:VarianceFloor must be a number in [1E-12, 0.5], got '0.9'.",
            $"StreamingClusters:Scaling 'standardize' does not apply to {Where}:Model 'GaussianMixture': its per-column variances learn each column's scale, and its log-likelihoods are in the input's units; give 'none'.",
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
            Settings(("Seeding:IdleTimeout", "00:00:05"), ("BatchSize", "100"), ("Parallelism", "2"), ("Mixture:Bogus", "2"), ("Seeding:Starts", "2")),
            Where,
            out IReadOnlyList<string> problems);

        Assert.Null(definition);
        Assert.Equal(
        [
            $"{Where}:BatchSize is not taken in cluster mode.",
            $"{Where}:Mixture:Bogus is not taken in cluster mode.",
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
        IConfiguration top = Top(("Seeding:IdleTimeout", "5s"), ("Mixture:Bogus", "1"), ("BatchSize", "100"));

        ClusterModelDefinition? definition = ClusterModelDefinitions.ForDefault(top, out IReadOnlyList<string> problems);

        Assert.Null(definition);
        Assert.Equal(
        [
            "StreamingClusters:Dimensions must be set in cluster mode (every silo E-steps against the same d from the first point on).",
            "StreamingClusters:Mixture:Bogus is not taken in cluster mode.",
            "StreamingClusters:Seeding:IdleTimeout is not taken in cluster mode.",
        ], problems);
    }

    [Fact]
    public void ForDefault_ScalingStandardize_TakenAsANamedModelsIs()
    {
        ClusterModelDefinition? definition = ClusterModelDefinitions.ForDefault(Top(("Dimensions", "2"), ("Scaling", "standardize")), out IReadOnlyList<string> problems);

        Assert.Empty(problems);
        Assert.Equal(ScalingMode.Standardize, definition!.Scaling);
    }

    [Fact]
    public void ForDefault_GaussianMixtureWithItsChoices_TakenAsANamedModelsIs()
    {
        IConfiguration top = Top(
            ("Dimensions", "2"), ("Model", "GaussianMixture"), ("Mixture:VarianceFloor", "0.01"), ("Mixture:SeedingStarts", "2"),
            ("Mixture:SeedingIterations", "7"), ("Mixture:SeedingTolerance", "0.001"));

        ClusterModelDefinition? definition = ClusterModelDefinitions.ForDefault(top, out IReadOnlyList<string> problems);

        Assert.Empty(problems);
        Assert.Equal(
            (ModelKind.GaussianMixture, 0.01, 2, 7, 0.001),
            (definition!.Model, definition.MixtureVarianceFloor, definition.MixtureSeedingStarts, definition.MixtureSeedingIterations, definition.MixtureSeedingTolerance));
    }

    [Fact]
    public void ForDefault_InitialCentroids_CarriedRowMajor_AndRefusedWithAMixtureNamingTheTopLevelKeys()
    {
        (string, string)[] centroids = [("Clusters", "2"), ("Dimensions", "2"), ("InitialCentroids:0:0", "1"), ("InitialCentroids:0:1", "2"), ("InitialCentroids:1:0", "3"), ("InitialCentroids:1:1", "4")];

        ClusterModelDefinition? definition = ClusterModelDefinitions.ForDefault(Top(centroids), out IReadOnlyList<string> problems);
        ClusterModelDefinition? mixture = ClusterModelDefinitions.ForDefault(Top([.. centroids, ("Model", "GaussianMixture")]), out IReadOnlyList<string> mixtureProblems);

        Assert.Empty(problems);
        Assert.Equal([1d, 2, 3, 4], definition!.InitialCentroids!.Values);
        Assert.Null(mixture);
        Assert.Equal(
            ["StreamingClusters:InitialCentroids gives centroids only, but StreamingClusters:Model 'GaussianMixture' also needs variances and priors: it seeds all three from the seeding buffer; remove one of the two."],
            mixtureProblems);
    }

    [Fact]
    public void Differences_TwoDefinitions_EachSettingThatDiffersNamedWithBothValues()
    {
        var existing = new ClusterModelDefinition { Clusters = 3, Dimensions = 2, MaxAbsoluteValue = 1e15 };

        IReadOnlyList<string> differences = ClusterModelDefinitions.Differences(
            existing with { Clusters = 4, HalfLifeValue = 20, HalfLifeUnit = HalfLifeUnit.Points, Scaling = ScalingMode.Standardize, MaxAbsoluteValue = 10 }, existing with { Incarnation = "a" }, "StreamingClusters", "default");

        Assert.Equal(
        [
            "StreamingClusters:Clusters is 4 here, but the model 'default' in the cluster has 3: a model's settings do not change once it is made, so every worker must give the same.",
            "StreamingClusters:HalfLife is 20points here, but the model 'default' in the cluster has none: a model's settings do not change once it is made, so every worker must give the same.",
            "StreamingClusters:Scaling is Standardize here, but the model 'default' in the cluster has None: a model's settings do not change once it is made, so every worker must give the same.",
            "StreamingClusters:MaxAbsoluteValue is 10 here, but the model 'default' in the cluster has 1000000000000000: a model's settings do not change once it is made, so every worker must give the same.",
        ], differences);
    }

    private static IConfiguration Top(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static ModelOverrides Settings(params (string Key, string Value)[] values) =>
        new(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)));
}
