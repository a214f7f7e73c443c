using System.Text;
using StreamingClusters.Sources;

namespace StreamingClusters.Tests.Sources;

public sealed class CsvFieldSplitterTests
{
    private static string[] Split(string line, char separator = ',')
    {
        var sut = new CsvFieldSplitter((byte)separator);
        byte[] bytes = Encoding.UTF8.GetBytes(line);
        Assert.Null(sut.Split(bytes));
        return [.. Enumerable.Range(0, sut.Count).Select(i => Encoding.UTF8.GetString(sut.Field(bytes, i)))];
    }

    [Theory]
    [InlineData("1,2,3", new[] { "1", "2", "3" })]
    [InlineData(" 1 ,\t2\t, 3", new[] { "1", "2", "3" })]
    [InlineData("\"1.5\",\" 2 \",3", new[] { "1.5", " 2 ", "3" })]
    [InlineData("\"a,b\",\"say \"\"hi\"\"\"", new[] { "a,b", "say \"\"hi\"\"" })]
    [InlineData("1,,3,", new[] { "1", "", "3", "" })]
    [InlineData("x", new[] { "x" })]
    [InlineData(" \"q\" ,1", new[] { "q", "1" })]
    public void Split_Lines_GivesFieldsWithoutBlanksAndQuotes(string line, string[] expected)
    {
        Assert.Equal(expected, Split(line));
    }

    [Fact]
    public void Split_TabSeparator_TabsAreNotBlanks()
    {
        Assert.Equal(["1", "", "3"], Split("1\t\t 3", '\t'));
    }

    [Fact]
    public void Split_ManyFields_GrowsItsBounds()
    {
        string line = string.Join(',', Enumerable.Range(0, 1000));

        Assert.Equal(Enumerable.Range(0, 1000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Split(line));
    }

    [Theory]
    [InlineData("1,\"2,3", "field 2 has a quote that does not close")]
    [InlineData("\"1\"x,2", "field 1 has text after its closing quote")]
    public void Split_BadQuotes_SaysWhichField(string line, string reason)
    {
        Assert.Equal(reason, new CsvFieldSplitter((byte)',').Split(Encoding.UTF8.GetBytes(line)));
    }

    [Theory]
    [InlineData(',')]
    [InlineData('\t')]
    [InlineData(' ')]
    public void SplitUnquoted_RandomLines_SameFieldsAsTheScalarTwin(char separator)
    {
        var rng = new Random(7);
        const string alphabet = "0123456789.-e ,\tx";
        var vector = new CsvFieldSplitter((byte)separator);
        var scalar = new CsvFieldSplitter((byte)separator);
        for (int n = 0; n < 2000; n++)
        {
            byte[] line = Encoding.ASCII.GetBytes(new string([.. Enumerable.Range(0, rng.Next(0, 150)).Select(_ => alphabet[rng.Next(alphabet.Length)])]));

            vector.SplitUnquoted(line);
            Assert.Null(scalar.SplitQuoted(line));

            Assert.Equal(scalar.Count, vector.Count);
            for (int i = 0; i < scalar.Count; i++)
            {
                Assert.True(scalar.Field(line, i).SequenceEqual(vector.Field(line, i)));
            }
        }
    }
}
