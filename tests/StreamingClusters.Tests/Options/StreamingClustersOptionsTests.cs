using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamingClusters.Options;

namespace StreamingClusters.Tests.Options;

public sealed class StreamingClustersOptionsTests
{
    [Fact]
    public void Validate_Defaults_AreValid()
    {
        ValidateOptionsResult result = new StreamingClustersOptionsValidator().Validate(null, new StreamingClustersOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void MaxAbsoluteValue_LargestAccepted_IsWithinTheKernelsBoundForCheckedPoints()
    {
        // The model stage skips the E-step's own check of the points because the ingest check bounds
        // them by MaxAbsoluteValue: any value the setting accepts must keep them within the kernels' bound.
        var range = typeof(StreamingClustersOptions).GetProperty(nameof(StreamingClustersOptions.MaxAbsoluteValue))!
            .GetCustomAttributes(typeof(System.ComponentModel.DataAnnotations.RangeAttribute), inherit: false)
            .Cast<System.ComponentModel.DataAnnotations.RangeAttribute>()
            .Single();

        Assert.True((float)(double)range.Maximum <= StreamingClusters.EStep.NearestCentroidKernel.BoundedMagnitude);
        Assert.True((float)new StreamingClustersOptions().MaxAbsoluteValue <= StreamingClusters.EStep.NearestCentroidKernel.BoundedMagnitude);
    }

    [Fact]
    public void Validate_OutOfRangeSettings_EachMessageNamesItsSetting()
    {
        IOptions<StreamingClustersOptions> options = Bind(new()
        {
            ["StreamingClusters:Clusters"] = "0",
            ["StreamingClusters:BatchSize"] = "0",
            ["StreamingClusters:HalfLife"] = "soon",
            ["StreamingClusters:ReseedRatio"] = "1.5",
            ["StreamingClusters:Seeding:BufferSize"] = "0",
            ["StreamingClusters:BatchTimeout"] = "-00:00:01",
            ["StreamingClusters:Sources:0:Path"] = "/no/such/file.csv",
            ["StreamingClusters:Sources:1:Format"] = "Csv",
            ["StreamingClusters:Sources:2:Path"] = "/no/such/followed.csv",
            ["StreamingClusters:Sources:2:Follow"] = "true",
            ["StreamingClusters:Sources:2:PollInterval"] = "00:00:00",
            ["StreamingClusters:SnapshotPath"] = "/no/such/dir/snapshot.json",
        });

        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => options.Value);

        string[] expected =
        [
            "Clusters: The field StreamingClustersOptions.Clusters must be between 1 and 65536.",
            "BatchSize: The field StreamingClustersOptions.BatchSize must be between 1 and 16777216.",
            "BufferSize: The field StreamingClustersOptions.Seeding.BufferSize must be between 1 and 16777216.",
            "StreamingClusters:ReseedRatio must be in [0, 1) (got 1.5).",
            "StreamingClusters:HalfLife 'soon' is not a half-life: give a count with its unit (20000points, 50batches), a duration (10m, 30s, 2h) or 'none'.",
            "StreamingClusters:BatchTimeout must be positive (got -00:00:01).",
            "StreamingClusters:SnapshotPath '/no/such/dir/snapshot.json' is in a directory that does not exist.",
            "StreamingClusters:Sources:0:Path '/no/such/file.csv' does not exist.",
            "StreamingClusters:Sources:1:Path is required (a file, or - for standard input).",
            "StreamingClusters:Sources:2:PollInterval must be positive (got 00:00:00).",
        ];
        foreach (string message in expected)
        {
            Assert.Contains(error.Failures, f => f.EndsWith(message, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Validate_SeedingStartsAndBreathsOutOfRange_EachMessageNamesItsSetting()
    {
        IOptions<StreamingClustersOptions> options = Bind(new()
        {
            ["StreamingClusters:Seeding:Starts"] = "0",
            ["StreamingClusters:Seeding:Breaths"] = "-1",
        });

        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => options.Value);

        Assert.Equal(
            [
                "Starts: The field StreamingClustersOptions.Seeding.Starts must be between 1 and 100.",
                "Breaths: The field StreamingClustersOptions.Seeding.Breaths must be between 0 and 1000.",
            ],
            error.Failures.Order().Reverse());
    }

    [Fact]
    public void SeedingStartsAndBreaths_Defaults_AreTheModelSettingsDefaults()
    {
        var defaults = new StreamingClusters.Model.ModelSettings(1, 1);
        var seeding = new SeedingOptions();

        Assert.Equal((defaults.SeedingStarts, defaults.SeedingBreaths), (seeding.Starts, seeding.Breaths));
    }

    [Fact]
    public void Validate_InitialCentroidsOfTheWrongShape_NamesTheCentroid()
    {
        IOptions<StreamingClustersOptions> options = Bind(new()
        {
            ["StreamingClusters:Clusters"] = "2",
            ["StreamingClusters:Dimensions"] = "2",
            ["StreamingClusters:InitialCentroids:0:0"] = "1",
            ["StreamingClusters:InitialCentroids:0:1"] = "2",
            ["StreamingClusters:InitialCentroids:1:0"] = "3",
        });

        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => options.Value);

        Assert.Contains(error.Failures, f => f.Contains("StreamingClusters:InitialCentroids:1 must have 2 values (StreamingClusters:Dimensions).", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ScalingThatIsNotOne_WholeMessageNamesTheSetting()
    {
        IOptions<StreamingClustersOptions> options = Bind(new() { ["StreamingClusters:Scaling"] = "zscore" });

        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => options.Value);

        Assert.Equal(
            "Scaling: StreamingClusters:Scaling 'zscore' is not a scaling: " +
            "give 'none' (columns as they come) or 'standardize' (each column to mean 0 and standard deviation 1, learnt from the seeding buffer).",
            Assert.Single(error.Failures));
    }

    [Fact]
    public void Validate_StandardizeWithInitialCentroids_RefusedNamingBoth()
    {
        IOptions<StreamingClustersOptions> options = Bind(new()
        {
            ["StreamingClusters:Clusters"] = "1",
            ["StreamingClusters:Scaling"] = "Standardize",
            ["StreamingClusters:InitialCentroids:0:0"] = "1",
        });

        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => options.Value);

        Assert.Equal(
            "Scaling, InitialCentroids: StreamingClusters:Scaling 'standardize' learns each column's mean and spread from the seeding buffer, " +
            "which StreamingClusters:InitialCentroids skips: give one or the other.",
            Assert.Single(error.Failures));
    }

    [Fact]
    public void Validate_ModelThatIsNotOne_WholeMessageNamesTheSetting()
    {
        IOptions<StreamingClustersOptions> options = Bind(new() { ["StreamingClusters:Model"] = "gmx" });

        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => options.Value);

        Assert.Equal(
            "Model: StreamingClusters:Model 'gmx' is not a model: give 'KMeans' (or kmeans) or 'GaussianMixture' (or gmm).",
            Assert.Single(error.Failures));
    }

    [Fact]
    public void Validate_MixtureWithStandardize_RefusedNamingBoth()
    {
        IOptions<StreamingClustersOptions> options = Bind(new() { ["StreamingClusters:Model"] = "gmm", ["StreamingClusters:Scaling"] = "standardize" });

        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => options.Value);

        Assert.Equal(
            "Scaling, Model: StreamingClusters:Scaling 'standardize' does not apply to StreamingClusters:Model 'GaussianMixture': " +
            "its per-column variances learn each column's scale, and its log-likelihoods are in the input's units; give 'none'.",
            Assert.Single(error.Failures));
    }

    [Fact]
    public void Validate_MixtureWithInitialCentroids_RefusedNamingBoth()
    {
        IOptions<StreamingClustersOptions> options = Bind(new()
        {
            ["StreamingClusters:Model"] = "GaussianMixture",
            ["StreamingClusters:Clusters"] = "1",
            ["StreamingClusters:InitialCentroids:0:0"] = "1",
        });

        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => options.Value);

        Assert.Equal(
            "InitialCentroids, Model: StreamingClusters:InitialCentroids gives centroids only, but StreamingClusters:Model 'GaussianMixture' also needs variances and priors: " +
            "it seeds all three from the seeding buffer; remove one of the two.",
            Assert.Single(error.Failures));
    }

    [Fact]
    public void Validate_MixtureVarianceFloorOutOfRange_NamesTheSetting()
    {
        IOptions<StreamingClustersOptions> options = Bind(new() { ["StreamingClusters:Model"] = "gmm", ["StreamingClusters:Mixture:VarianceFloor"] = "2" });

        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => options.Value);

        Assert.Contains("Mixture.VarianceFloor", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kmeans", ModelKind.KMeans)]
    [InlineData("KMeans", ModelKind.KMeans)]
    [InlineData("gmm", ModelKind.GaussianMixture)]
    [InlineData("GaussianMixture", ModelKind.GaussianMixture)]
    public void ParsedModel_EitherName_IsTheModel(string setting, ModelKind expected) =>
        Assert.Equal(expected, Bind(new() { ["StreamingClusters:Model"] = setting }).Value.ParsedModel);

    [Theory]
    [InlineData("none", ScalingMode.None)]
    [InlineData("Standardize", ScalingMode.Standardize)]
    public void ParsedScaling_EitherCase_IsTheMode(string setting, ScalingMode expected) =>
        Assert.Equal(expected, Bind(new() { ["StreamingClusters:Scaling"] = setting }).Value.ParsedScaling);

    [Fact]
    public void Validate_SourceKindWithoutProvider_IsRefusedNamingTheSetting()
    {
        IOptions<StreamingClustersOptions> options = Bind(new()
        {
            ["StreamingClusters:Sources:0:Kind"] = "Mqtt",
        });

        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => options.Value);

        Assert.StartsWith("StreamingClusters:Sources:0:Kind is Mqtt, but no provider of Mqtt sources is registered", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    private static IOptions<StreamingClustersOptions> Bind(Dictionary<string, string?> settings)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection()
            .AddLogging()
            .AddStreamingClusters(configuration.GetSection(StreamingClustersOptions.SectionName))
            .BuildServiceProvider()
            .GetRequiredService<IOptions<StreamingClustersOptions>>();
    }
}
