using System.Text;
using StreamingClusters.Sources;

namespace StreamingClusters.Tests.Sources;

public sealed class Utf8NumberTests
{
    [Theory]
    [InlineData("1.5", 1.5f)]
    [InlineData("-0.25", -0.25f)]
    [InlineData("+3", 3f)]
    [InlineData(".5", 0.5f)]
    [InlineData("5.", 5f)]
    [InlineData("1e-3", 0.001f)]
    [InlineData("3.4028235E+38", float.MaxValue)]
    [InlineData("1e-50", 0f)]
    [InlineData("0.1000000000000000055511151231257827", 0.1f)]
    public void Parse_Numbers_AreRead(string text, float expected)
    {
        Assert.Equal(NumberStatus.Number, Utf8Number.Parse(Encoding.UTF8.GetBytes(text), out float value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("nan", float.NaN)]
    [InlineData("NaN", float.NaN)]
    [InlineData("-nan", float.NaN)]
    [InlineData("inf", float.PositiveInfinity)]
    [InlineData("Infinity", float.PositiveInfinity)]
    [InlineData("+INF", float.PositiveInfinity)]
    [InlineData("-Infinity", float.NegativeInfinity)]
    public void Parse_NaNAndInfinitySpellings_AreNumbersForTheValidatorToRefuse(string text, float expected)
    {
        Assert.Equal(NumberStatus.Number, Utf8Number.Parse(Encoding.UTF8.GetBytes(text), out float value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("1.5x")]
    [InlineData("1e")]
    [InlineData("0x10")]
    [InlineData("1,5")]
    [InlineData("1_0")]
    [InlineData("- 1")]
    [InlineData("infinit")]
    [InlineData("∞")]
    public void Parse_NotNumbers_AreRefused(string text)
    {
        Assert.Equal(NumberStatus.NotANumber, Utf8Number.Parse(Encoding.UTF8.GetBytes(text), out _));
    }

    [Theory]
    [InlineData("1e39")]
    [InlineData("-3.5e38")]
    public void Parse_BeyondFloat_IsOutOfRange(string text)
    {
        Assert.Equal(NumberStatus.OutOfRange, Utf8Number.Parse(Encoding.UTF8.GetBytes(text), out _));
    }

    [Fact]
    public void Describe_EachStatus_NamesTheValueAndShowsItsText()
    {
        Assert.Equal("value 3 (zero-based) 'abc' is not a number", Utf8Number.Describe(NumberStatus.NotANumber, 3, "abc"u8));
        Assert.Equal("value 1 (zero-based) '1e39' is out of the range of a float", Utf8Number.Describe(NumberStatus.OutOfRange, 1, "1e39"u8));
        Assert.Equal("value 2 (zero-based) is empty", Utf8Number.Describe(NumberStatus.NotANumber, 2, ""u8));
        Assert.Equal($"value 1 (zero-based) '{new string('a', 40)}…' is not a number", Utf8Number.Describe(NumberStatus.NotANumber, 1, Encoding.UTF8.GetBytes(new string('a', 100))));
    }
}
