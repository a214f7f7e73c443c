using System.Text;
using StreamingClusters.Sources;

namespace StreamingClusters.Tests.Sources;

public sealed class JsonLinesRecordParserTests
{
    private static float[] Parse(JsonLinesRecordParser sut, string line)
    {
        Assert.Null(sut.Parse(Encoding.UTF8.GetBytes(line)));
        return sut.Values.ToArray();
    }

    private static string? Problem(JsonLinesRecordParser sut, string line) => sut.Parse(Encoding.UTF8.GetBytes(line));

    [Fact]
    public void Parse_FieldsByName_InTheConfiguredOrderWhateverTheDocumentOrder()
    {
        var sut = new JsonLinesRecordParser(["b", "a", "c"]);

        Assert.Equal([2f, 1f, 3f], Parse(sut, """{"c":3,"label":"x","a":1,"deep":{"b":9},"b":2}"""));
        Assert.Equal([5f, 4f, 6f], Parse(sut, """ { "a" : 4 , "b" : 5 , "c" : 6 } """));
    }

    [Fact]
    public void Parse_EscapedPropertyNameAndNumericString_AreMatchedAndRead()
    {
        var sut = new JsonLinesRecordParser(["é", "x"]);

        Assert.Equal([1.5f, 2f], Parse(sut, """{"\u00e9":"1.5","x":" 2 "}"""));
        Assert.Equal([3f, 4f], Parse(sut, """{"é":"\u0033","x":4}"""));
    }

    [Fact]
    public void Parse_NoFieldsConfigured_EveryTopLevelNumberInDocumentOrder()
    {
        var sut = new JsonLinesRecordParser([]);

        Assert.Equal([3f, 1f, 2e2f], Parse(sut, """{"z":3,"s":"7","n":null,"inner":{"q":8},"list":[9],"a":1,"t":true,"e":2e2}"""));
    }

    [Fact]
    public void Parse_BareArray_EveryElement()
    {
        var sut = new JsonLinesRecordParser([]);

        Assert.Equal([1f, -2.5f, 3f], Parse(sut, "[1, -2.5, \"3\"]"));
        Assert.Equal("value 1 (zero-based) is an array, not a number", Problem(sut, "[1,[2]]"));
    }

    [Theory]
    [InlineData("""{"x":1,"x":2,"y":3}""", "field 'x' appears twice")]
    [InlineData("""{"x":1}""", "field 'y' is missing")]
    [InlineData("""{"x":true,"y":3}""", "value 0 (zero-based) is true, not a number (field 'x')")]
    [InlineData("""{"x":{"v":1},"y":3}""", "value 0 (zero-based) is an object, not a number (field 'x')")]
    [InlineData("""{"x":"1.5kg","y":3}""", "value 0 (zero-based) '1.5kg' is not a number (field 'x')")]
    [InlineData("""{"x":1,"y":2} {"x":1,"y":2}""", "not valid JSON: ")]
    [InlineData("""{"x":1,"y":2}x""", "not valid JSON: ")]
    [InlineData("""{"x":1,"y":2""", "not valid JSON: ")]
    [InlineData("""{x:1}""", "not valid JSON: ")]
    [InlineData("42", "not a JSON object or array")]
    [InlineData("\"text\"", "not a JSON object or array")]
    public void Parse_BadLines_SayWhy(string line, string reason)
    {
        var sut = new JsonLinesRecordParser(["x", "y"]);

        Assert.StartsWith(reason, Problem(sut, line), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_GoodLines_AllocateNothing()
    {
        var sut = new JsonLinesRecordParser(["a", "b"]);
        byte[] line = """{"a":1.25,"b":"2.5","c":[1,2]}"""u8.ToArray();
        sut.Parse(line);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            sut.Parse(line);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
