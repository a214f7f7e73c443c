using System.Text;
using StreamingClusters.Options;
using StreamingClusters.Sources;
using StreamingClusters.Tests.Sources;

namespace StreamingClusters.Tests.Reliability;

/// <summary>Damaged records that once failed a whole source instead of being rejected, each kept as a case.</summary>
public sealed class ParserRegressionTests
{
    [Theory]
    [InlineData("""["\uD800",1,2]""", "value 0 (zero-based) '\\uD800' is not a number")]
    [InlineData("""["\uDC00\uD800",1,2]""", "value 0 (zero-based) '\\uDC00\\uD800' is not a number")]
    [InlineData("""[1,"\uD83D",2]""", "value 1 (zero-based) '\\uD83D' is not a number")]
    public void JsonParse_LoneSurrogateEscapeWhereANumberIsExpected_RejectedNotThrown(string line, string reason)
    {
        var sut = new JsonLinesRecordParser([]);

        Assert.Equal(reason, sut.Parse(Encoding.UTF8.GetBytes(line)));
    }

    [Theory]
    [InlineData("""{"x":"\uD800","y":2}""", "value 0 (zero-based) '\\uD800' is not a number (field 'x')")]
    [InlineData("""{"\uD800":1,"x":1,"y":2}""", null)]
    [InlineData("""{"x\uDFFF":1,"x":1,"y":2}""", null)]
    public void JsonParse_LoneSurrogateEscapeInANamedObject_RejectedOrSkippedNotThrown(string line, string? reason)
    {
        var sut = new JsonLinesRecordParser(["x", "y"]);

        Assert.Equal(reason, sut.Parse(Encoding.UTF8.GetBytes(line)));
    }

    [Fact]
    public void CsvTryReadHeader_DetectedFirstLineThatCannotBeSplit_IsARecordNotAHeader()
    {
        var sut = new CsvRecordParser((byte)',', hasHeader: null, [], "StreamingClusters:Sources:0");
        byte[] line = Encoding.UTF8.GetBytes("\"1.5,2,3");

        Assert.False(sut.TryReadHeader(line));
        Assert.Equal("field 1 has a quote that does not close", sut.Parse(line));
    }

    [Fact]
    public void CsvTryReadHeader_ConfiguredHeaderThatCannotBeSplit_RefusedNamingTheSource()
    {
        var sut = new CsvRecordParser((byte)',', hasHeader: true, [], "StreamingClusters:Sources:0");

        var error = Assert.Throws<InvalidDataException>(() => sut.TryReadHeader(Encoding.UTF8.GetBytes("\"x,y")));
        Assert.Equal("The header of the source StreamingClusters:Sources:0 cannot be read: field 1 has a quote that does not close.", error.Message);
    }

    [Fact]
    public async Task FileSourceRun_DamagedFirstRecordWithAnOpenQuote_RejectedAndTheStreamGoesOn()
    {
        using var files = new TempFiles();
        string path = files.Create("\"1.5,2,3\n4,5,6\n");
        StreamingClustersOptions options = SourceHarness.Options();

        SourceRunResult result = await SourceHarness.RunAsync(PointSourceFactory.Create(new SourceOptions { Path = path }, 0, options), options);

        Assert.Null(result.Error);
        Assert.Equal([[4f, 5f, 6f]], result.Points);
        Assert.Equal((1L, "field 1 has a quote that does not close"), (Assert.Single(result.Rejected).Record, result.Rejected[0].Reason));
    }
}
