using StreamingClusters.Models;

namespace StreamingClusters.Tests.Models;

public sealed class ModelNameTests
{
    [Theory]
    [InlineData("default")]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("plant-7_line-b")]
    [InlineData("a123456789012345678901234567890123456789012345678901234567890123")]
    public void IsValid_FollowsTheRule_True(string name)
    {
        Assert.True(ModelName.IsValid(name));
        Assert.Null(ModelName.Problem(name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-a")]
    [InlineData("_a")]
    [InlineData("Plant")]
    [InlineData("a.b")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("a1234567890123456789012345678901234567890123456789012345678901234")]
    [InlineData(null)]
    public void IsValid_BreaksTheRule_FalseWithTheRuleInWords(string? name)
    {
        Assert.False(ModelName.IsValid(name));
        Assert.Equal(
            $"'{name}' is not a model name: give 1 to 64 characters, lower-case letters, digits, '-' and '_', beginning with a letter or a digit.",
            ModelName.Problem(name));
    }
}
