using StreamingClusters.Model;

namespace StreamingClusters.Tests.Model;

public class ModelSettingsTests
{
    [Fact]
    public void Constructor_Defaults_AreTheDocumentedOnes()
    {
        var settings = new ModelSettings(8, 3);

        Assert.Equal(0UL, settings.Seed);
        Assert.Equal(0.01, settings.ReseedRatio);
        Assert.Equal(24, settings.SeedingCandidates);
        Assert.Equal(20, settings.RefineIterations);
        Assert.Equal(1, settings.SeedingStarts);
        Assert.Equal(20, settings.SeedingBreaths);
        Assert.Equal(5, settings.BreathingDepth);
        settings.Validate();
    }

    [Theory]
    [InlineData(0, 1, 0.01, 0, 0, "Clusters")]
    [InlineData(1, 0, 0.01, 0, 0, "Dimensions")]
    [InlineData(1, 1, 1.0, 0, 0, "ReseedRatio")]
    [InlineData(1, 1, -0.1, 0, 0, "ReseedRatio")]
    [InlineData(1, 1, double.NaN, 0, 0, "ReseedRatio")]
    [InlineData(1, 1, 0.01, -1, 0, "SeedingCandidates")]
    [InlineData(1, 1, 0.01, 0, -1, "RefineIterations")]
    public void Validate_SettingOutOfRange_ThrowsNamingIt(int clusters, int dimensions, double reseedRatio, int candidates, int refine, string name)
    {
        var settings = new ModelSettings(clusters, dimensions) { ReseedRatio = reseedRatio, SeedingCandidates = candidates, RefineIterations = refine };

        var error = Assert.Throws<ArgumentOutOfRangeException>(settings.Validate);

        Assert.Equal(name, error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClusterModel(settings));
    }

    [Theory]
    [InlineData(0, 20, 5, "SeedingStarts")]
    [InlineData(1, -1, 5, "SeedingBreaths")]
    [InlineData(1, 20, -1, "BreathingDepth")]
    public void Validate_SeedingPlanOutOfRange_ThrowsNamingIt(int starts, int breaths, int depth, string name)
    {
        var settings = new ModelSettings(4, 2) { SeedingStarts = starts, SeedingBreaths = breaths, BreathingDepth = depth };

        var error = Assert.Throws<ArgumentOutOfRangeException>(settings.Validate);

        Assert.Equal(name, error.ParamName);
    }
}
