using System.Text;
using StreamingClusters.Mqtt;
using StreamingClusters.Options;
using StreamingClusters.Sources;

namespace StreamingClusters.Worker.Tests.Mqtt;

/// <summary>How a message splits into records: one, a batch, or one rejected whole.</summary>
public sealed class MqttMessageReaderTests
{
    [Theory]
    [InlineData("""{"a": 1, "b": 2}""", 1)]
    [InlineData("""[1, 2]""", 1)]
    [InlineData("""[{"a": 1}, {"a": 2}, {"a": 3}]""", 3)]
    [InlineData("""[[1, 2], [3, 4]]""", 2)]
    [InlineData(" [ {\"a\": 1} ,\n {\"a\": 2} ] ", 2)]
    public void Split_Json_OneRecordOrOnePerElement(string payload, int records)
    {
        IReadOnlyList<(int Start, int Length)> split = CreateSut(RecordFormat.Json).Split(Encoding.UTF8.GetBytes(payload), out string? problem);

        Assert.Null(problem);
        Assert.Equal(records, split.Count);
    }

    [Theory]
    [InlineData("garbage", "the message is not valid JSON")]
    [InlineData("""[{"a": 1}, {"a": 2}""", "the message is not valid JSON")]
    [InlineData("""{"a": 1} {"a": 2}""", "the message is not valid JSON")]
    [InlineData("", "the message is empty")]
    [InlineData(" \n ", "the message holds no record")]
    public void Split_JsonThatIsNotOneValue_WholeMessageOneRejectedRecord(string payload, string reason)
    {
        IReadOnlyList<(int Start, int Length)> split = CreateSut(RecordFormat.Json).Split(Encoding.UTF8.GetBytes(payload), out string? problem);

        Assert.Empty(split);
        Assert.StartsWith(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Split_CsvLines_EachLineNotBlankIsARecord()
    {
        IReadOnlyList<(int Start, int Length)> split = CreateSut(RecordFormat.Csv).Split("1,2\r\n\n3,4\n  \n5,6"u8, out string? problem);

        Assert.Null(problem);
        Assert.Equal([(0, 3), (6, 3), (13, 3)], split);
    }

    [Theory]
    [InlineData("sensors/#", true)]
    [InlineData("plant/+/readings", true)]
    [InlineData("#", true)]
    [InlineData("a/#/b", false)]
    [InlineData("a/b#", false)]
    [InlineData("a/+b", false)]
    [InlineData("", false)]
    public void IsTopicFilter_Wildcards_OnlyAsWholeLevels(string filter, bool valid) =>
        Assert.Equal(valid, MqttSourceOptions.IsTopicFilter(filter));

    private static MqttMessageReader CreateSut(RecordFormat format)
    {
        SourceOptions source = new() { Format = format, HasHeader = false };
        return new MqttMessageReader(PointSourceFactory.ParserFor(source, "StreamingClusters:Sources:0")(), format, 65536, 1e15f);
    }
}
