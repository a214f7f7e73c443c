using System.Text;
using StreamingClusters.Sources;
using StreamingClusters.Worker.Http;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>Request bodies read as records: the formats by content type and RFC 4180's CSV header parameter.</summary>
public sealed class RecordBodyTests
{
    [Theory]
    [InlineData("text/csv")]
    [InlineData("text/csv; charset=utf-8")]
    [InlineData("TEXT/CSV; header=present")]
    [InlineData("application/x-ndjson")]
    [InlineData("application/jsonl")]
    public void ParserFor_AFormat_GivesAParser(string contentType)
    {
        Assert.NotNull(RecordBody.ParserFor(contentType));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    [InlineData("not a media type")]
    public void ParserFor_AnotherType_GivesNull(string? contentType)
    {
        Assert.Null(RecordBody.ParserFor(contentType));
    }

    [Fact]
    public void ParserFor_AHeaderParameterNeitherPresentNorAbsent_ThrowsNamingIt()
    {
        FormatException ex = Assert.Throws<FormatException>(() => RecordBody.ParserFor("text/csv; header=maybe"));

        Assert.Contains("header is 'maybe'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("present or absent", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_HeaderLeftOut_DetectsANamedHeaderAndSaysWhichLine()
    {
        RecordBody body = Read("text/csv", "\nx,y\n1,2\n3,4\n");

        Assert.Equal(2, body.HeaderLine);
        Assert.Equal(2, body.Count);
        Assert.Empty(body.Rejections);
    }

    [Fact]
    public void Read_HeaderAbsent_RejectsADamagedFirstLineInsteadOfTakingItAsTheHeader()
    {
        RecordBody body = Read("text/csv; header=absent", "1,2x\n1,2\n3,4\n");

        Assert.Null(body.HeaderLine);
        Assert.Equal(2, body.Count);
        BodyRejection rejected = Assert.Single(body.Rejections);
        Assert.Equal(1, rejected.Line);
        Assert.Contains("2x", rejected.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_HeaderPresent_TakesANumericFirstLineAsTheHeader()
    {
        RecordBody body = Read("text/csv; header=\"present\"", "1,2\n3,4\n");

        Assert.Equal(1, body.HeaderLine);
        Assert.Equal(1, body.Count);
        Assert.Equal([3f, 4f], body.Points);
    }

    private static RecordBody Read(string contentType, string text)
    {
        RecordParser parser = RecordBody.ParserFor(contentType) ?? throw new InvalidOperationException(contentType);
        return RecordBody.Read(Encoding.UTF8.GetBytes(text), parser, dimensions: 0, maxRecordLength: 1 << 20, maxAbsoluteValue: 1e30);
    }
}
