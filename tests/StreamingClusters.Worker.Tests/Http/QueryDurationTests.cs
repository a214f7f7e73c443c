using StreamingClusters.Worker.Http;

namespace StreamingClusters.Worker.Tests.Http;

public sealed class QueryDurationTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("1s", 1_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("10m", 600_000)]
    [InlineData("2h", 7_200_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData(" 30S ", 30_000)]
    [InlineData("00:00:01", 1_000)]
    [InlineData("00:10:00", 600_000)]
    [InlineData("0", 0)]
    [InlineData("0s", 0)]
    public void TryParse_ProductSyntax_Duration(string text, long milliseconds)
    {
        Assert.True(QueryDuration.TryParse(text, out TimeSpan duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("1x")]
    [InlineData("-1s")]
    [InlineData("-00:00:01")]
    [InlineData("1e400d")]
    [InlineData("s")]
    public void TryParse_NotADuration_False(string? text) =>
        Assert.False(QueryDuration.TryParse(text, out _));
}
