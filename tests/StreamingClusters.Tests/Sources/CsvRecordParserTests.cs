using System.Text;
using StreamingClusters.Sources;

namespace StreamingClusters.Tests.Sources;

public sealed class CsvRecordParserTests
{
    private const string Setting = "StreamingClusters:Sources:2";

    private static CsvRecordParser CreateSut(bool? hasHeader = null, string[]? columns = null, char separator = ',') =>
        new((byte)separator, hasHeader, columns ?? [], Setting);

    private static float[] Parse(CsvRecordParser sut, string line)
    {
        Assert.Null(sut.Parse(Encoding.UTF8.GetBytes(line)));
        return sut.Values.ToArray();
    }

    private static string? Problem(CsvRecordParser sut, string line) => sut.Parse(Encoding.UTF8.GetBytes(line));

    private static bool Header(CsvRecordParser sut, string line) => sut.TryReadHeader(Encoding.UTF8.GetBytes(line));

    [Theory]
    [InlineData("a,b,c", true)]
    [InlineData("1,2,x", true)]
    [InlineData("1,,3", true)]
    [InlineData("1,2.5,-3", false)]
    [InlineData("\"1\", 2 ,nan", false)]
    public void TryReadHeader_Detecting_AFirstLineThatIsNotAllNumbersIsAHeader(string first, bool isHeader)
    {
        Assert.Equal(isHeader, Header(CreateSut(), first));
    }

    [Theory]
    [InlineData(true, "1,2,3", true)]
    [InlineData(false, "a,b,c", false)]
    public void TryReadHeader_Configured_FollowsTheSetting(bool hasHeader, string first, bool isHeader)
    {
        Assert.Equal(isHeader, Header(CreateSut(hasHeader), first));
    }

    [Fact]
    public void Parse_ColumnsByName_ValuesInTheConfiguredOrder()
    {
        CsvRecordParser sut = CreateSut(columns: ["temp", "\"quoted\" name", "Pressure"]);
        Assert.True(Header(sut, "time,pressure,label,temp,\"\"\"quoted\"\" name\""));

        Assert.Equal([21.5f, 7f, 1013f], Parse(sut, "2024-01-01T00:00:00Z,1013,north,21.5,7"));
    }

    [Fact]
    public void Parse_ColumnsByIndexWithoutHeader_ValuesInTheConfiguredOrder()
    {
        CsvRecordParser sut = CreateSut(hasHeader: false, columns: ["3", "0"]);
        Assert.False(Header(sut, "1,x,y,4"));

        Assert.Equal([4f, 1f], Parse(sut, "1,x,y,4"));
        Assert.Equal([8f, 5f], Parse(sut, "5,6,7,8,9"));
        Assert.Equal("3 fields where the columns need 4", Problem(sut, "1,2,3"));
    }

    [Fact]
    public void Parse_ColumnsByIndexWithHeader_IndexesWorkToo()
    {
        CsvRecordParser sut = CreateSut(columns: ["2"]);
        Assert.True(Header(sut, "a,b,c"));

        Assert.Equal([3f], Parse(sut, "1,2,3"));
    }

    [Fact]
    public void Parse_UnselectedColumns_AreNotParsed()
    {
        CsvRecordParser sut = CreateSut(columns: ["x"]);
        Assert.True(Header(sut, "label,x"));

        Assert.Equal([2f], Parse(sut, "not a number,2"));
    }

    [Fact]
    public void Parse_EveryColumn_QuotedAndBlankPaddedValues()
    {
        CsvRecordParser sut = CreateSut(separator: ';');
        Assert.False(Header(sut, "1;2"));

        Assert.Equal([1.5f, -2f, 3e3f], Parse(sut, "\"1.5\"; -2 ;\" 3e3 \""));
    }

    [Fact]
    public void Parse_WithHeader_AnotherFieldCountIsRejected()
    {
        CsvRecordParser sut = CreateSut();
        Assert.True(Header(sut, "a,b,c"));

        Assert.Equal("4 fields where the header has 3", Problem(sut, "1,2,3,4"));
    }

    [Fact]
    public void Parse_WithoutHeader_EveryFieldIsAValueAndTheIngestChecksTheDimension()
    {
        CsvRecordParser sut = CreateSut();
        Assert.False(Header(sut, "1,2,3"));

        Assert.Equal([1f, 2f], Parse(sut, "1,2"));
    }

    [Fact]
    public void Parse_GoodLines_ReuseTheValueBuffer()
    {
        CsvRecordParser sut = CreateSut(hasHeader: false);
        sut.TryReadHeader("1,2,3"u8);
        byte[] line = "1.25,2.5,3.75"u8.ToArray();
        sut.Parse(line);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            sut.Parse(line);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void TryReadHeader_ColumnNotInHeader_ThrowsNamingTheSettingAndTheHeader()
    {
        CsvRecordParser sut = CreateSut(columns: ["a", "nope"]);

        var error = Assert.Throws<InvalidOperationException>(() => Header(sut, "a,b"));

        Assert.Equal($"{Setting}:Columns:1 'nope' is neither a column of the header (a, b) nor a column index below 2.", error.Message);
    }

    [Fact]
    public void TryReadHeader_ColumnNameButNoHeaderDetected_ThrowsNamingTheSetting()
    {
        CsvRecordParser sut = CreateSut(columns: ["a"]);

        var error = Assert.Throws<InvalidOperationException>(() => Header(sut, "1,2"));

        Assert.StartsWith($"{Setting}:Columns:0 'a' is not a zero-based column index, and the source has no header", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadHeader_AmbiguousCaseInsensitiveName_NeedsTheExactName()
    {
        CsvRecordParser sut = CreateSut(columns: ["X"]);

        Assert.Throws<InvalidOperationException>(() => Header(sut, "x,y,x2,x"));
        CsvRecordParser exact = CreateSut(columns: ["x"]);
        Assert.True(Header(exact, "x,X"));
        Assert.Equal([1f], Parse(exact, "1,2"));
    }

    [Theory]
    [InlineData("1.06295,-1.0856,10.3317", true)]
    [InlineData("1,2,3e-5", true)]
    [InlineData("1,2,12345678901234567890123", true)] // a field past the quick path's digits, read by csFastFloat
    [InlineData("1,2", false)] // a field short of the header: Parse says why
    [InlineData("1,2,3,4", false)]
    [InlineData("1, 2,3", false)]
    [InlineData("1,\"2\",3", false)]
    [InlineData("1,,3", false)]
    [InlineData("1,2,nan", false)]
    [InlineData("1,2,1e99", false)]
    [InlineData("1,2,3,", false)]
    public void TryParsePlain_AfterAHeader_ReadsPlainLinesAsParseDoes(string line, bool plain)
    {
        CsvRecordParser sut = CreateSut();
        Assert.True(Header(sut, "a,b,c"));
        var reference = CreateSut();
        Header(reference, "a,b,c");

        bool read = sut.TryParsePlain(Encoding.UTF8.GetBytes(line));

        Assert.Equal(plain, read);
        if (read)
        {
            Assert.Equal(Parse(reference, line), sut.Values.ToArray());
        }
    }

    [Fact]
    public void TryParsePlain_WithSelectedColumns_LeavesEveryLineToParse()
    {
        CsvRecordParser sut = CreateSut(columns: ["b"]);
        Header(sut, "a,b,c");

        Assert.False(sut.TryParsePlain("1,2,3"u8));
    }

    [Fact]
    public void TryParsePlain_RandomLines_GiveExactlyParsesValues()
    {
        var rng = new Random(11);
        string[] pieces = ["1", "-2.5", "3e2", "0.125", "1e", "x", " ", "\"", "", ".", "-", "16777217", "99999999999999999999"];
        int read = 0;
        for (int n = 0; n < 20_000; n++)
        {
            CsvRecordParser sut = CreateSut(hasHeader: n % 2 == 0);
            CsvRecordParser reference = CreateSut(hasHeader: n % 2 == 0);
            Header(sut, "a,b,c");
            Header(reference, "a,b,c");
            var line = new StringBuilder();
            int fields = rng.Next(1, 5);
            for (int f = 0; f < fields; f++)
            {
                line.Append(f == 0 ? "" : ",");
                int parts = rng.Next(1, 3);
                for (int p = 0; p < parts; p++)
                {
                    line.Append(rng.Next(4) == 0 ? pieces[rng.Next(pieces.Length)] : pieces[rng.Next(4)]);
                }
            }

            byte[] bytes = Encoding.UTF8.GetBytes(line.ToString());
            if (!sut.TryParsePlain(bytes))
            {
                continue;
            }

            read++;
            Assert.True(reference.Parse(bytes) is null, line.ToString());
            Assert.Equal(reference.Values.ToArray(), sut.Values.ToArray());
        }

        Assert.True(read > 2_000, $"only {read} read");
    }
}
