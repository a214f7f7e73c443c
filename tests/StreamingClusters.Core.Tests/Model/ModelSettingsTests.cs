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
}
