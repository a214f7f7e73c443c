using System.Text;
using StreamingClusters.Sources;

namespace StreamingClusters.Tests.Reliability;

/// <summary>Damaged records that once failed a whole source instead of being rejected, each kept as a case.</summary>
public sealed class ParserRegressionTests
{
    [Theory]
    [InlineData("""["\uD800",1,2]""", "value 1 '\\uD800' is not a number")]
    [InlineData("""["\uDC00\uD800",1,2]""", "value 1 '\\uDC00\\uD800' is not a number")]
    [InlineData("""[1,"\uD83D",2]""", "value 2 '\\uD83D' is not a number")]
    public void JsonParse_LoneSurrogateEscapeWhereANumberIsExpected_RejectedNotThrown(string line, string reason)
    {
        var sut = new JsonLinesRecordParser([]);

        Assert.Equal(reason, sut.Parse(Encoding.UTF8.GetBytes(line)));
    }

    [Theory]
    [InlineData("""{"x":"\uD800","y":2}""", "value 1 '\\uD800' is not a number (field 'x')")]
    [InlineData("""{"\uD800":1,"x":1,"y":2}""", null)]
    [InlineData("""{"x\uDFFF":1,"x":1,"y":2}""", null)]
    public void JsonParse_LoneSurrogateEscapeInANamedObject_RejectedOrSkippedNotThrown(string line, string? reason)
    {
        var sut = new JsonLinesRecordParser(["x", "y"]);

        Assert.Equal(reason, sut.Parse(Encoding.UTF8.GetBytes(line)));
    }
}
