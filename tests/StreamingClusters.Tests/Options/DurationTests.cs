using Microsoft.Extensions.Configuration;
using StreamingClusters.Options;

namespace StreamingClusters.Tests.Options;

public sealed class DurationTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("10m", 600_000)]
    [InlineData("2h", 7_200_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("00:00:30", 30_000)]
    [InlineData("0", 0)]
    [InlineData("0s", 0)]
    [InlineData("1d", 86_400_000)]
    [InlineData(" 30S ", 30_000)]
    [InlineData("00:10:00", 600_000)]
    public void TryParse_EachForm_ReadsTheDuration(string text, long milliseconds)
    {
        Assert.True(Duration.TryParse(text, out TimeSpan duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("1x")]
    [InlineData("20000points")]
    [InlineData("none")]
    [InlineData("")]
    [InlineData("-1s")]
    [InlineData("1e400d")]
    [InlineData("s")]
    public void TryParse_NotADuration_Refused(string text) => Assert.False(Duration.TryParse(text, out _));

    [Fact]
    public void Normalise_Section_RewritesOnlyTheDurationKeysAndKeepsThePath()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["StreamingClusters:BatchTimeout"] = "250ms",
            ["StreamingClusters:HalfLife"] = "10m",
            ["StreamingClusters:Checkpoint:Interval"] = "2h",
            ["StreamingClusters:Sources:0:PollInterval"] = "1s",
        }).Build();

        IConfiguration view = DurationConfiguration.Normalise(configuration.GetSection("StreamingClusters"), DurationConfiguration.StreamingClustersKeys);

        Assert.Equal("StreamingClusters", ((IConfigurationSection)view).Path);
        Assert.Equal("00:00:00.2500000", view["BatchTimeout"]);
        Assert.Equal("10m", view["HalfLife"]);
        Assert.Equal("02:00:00", view["Checkpoint:Interval"]);
        Assert.Equal("00:00:01", view["Sources:0:PollInterval"]);
    }

    [Fact]
    public void Problems_ValueThatIsNotADuration_NamesTheSetting()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["StreamingClusters:BatchTimeout"] = "soon",
            ["StreamingClusters:Sources:1:PollInterval"] = "1q",
        }).Build();

        string[] problems = [.. DurationConfiguration.Problems(configuration.GetSection("StreamingClusters"), DurationConfiguration.StreamingClustersKeys)];

        Assert.Equal(
            [
                "StreamingClusters:BatchTimeout 'soon' is not a duration: give one like 500ms, 30s, 10m, 2h or 00:00:30.",
                "StreamingClusters:Sources:1:PollInterval '1q' is not a duration: give one like 500ms, 30s, 10m, 2h or 00:00:30.",
            ],
            problems);
    }
}
