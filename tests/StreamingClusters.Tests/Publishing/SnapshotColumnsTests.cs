using System.Globalization;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Sources;
using StreamingClusters.Tests.Sources;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.Publishing;

/// <summary>Column names travel with snapshots: a panel need not hard-code the order of the columns.</summary>
public sealed class SnapshotColumnsTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Run_CsvWithAHeader_SnapshotsNameEveryColumn()
    {
        CentroidSnapshot final = await RunAsync(new SourceOptions { Path = _files.Create(Csv("temperature,pressure")) });

        Assert.Equal(["temperature", "pressure"], final.Columns);
        Assert.Contains("\"columns\":[\"temperature\",\"pressure\"]", Encoding.UTF8.GetString(SnapshotJson.Serialize(final)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CsvWithChosenColumns_SnapshotsNameThemInTheChosenOrder()
    {
        string path = _files.Create(Csv("time,temperature,pressure", withTime: true));

        CentroidSnapshot final = await RunAsync(new SourceOptions { Path = path, Columns = ["pressure", "1"] });

        Assert.Equal(["pressure", "temperature"], final.Columns);
    }

    [Fact]
    public async Task Run_JsonLinesWithNamedFields_SnapshotsNameThem()
    {
        var lines = new StringBuilder();
        for (int i = 0; i < 40; i++)
        {
            lines.Append(CultureInfo.InvariantCulture, $"{{\"rpm\":{i % 2 * 10 + (i * 0.01)},\"flow\":{i % 2 * 5 + (i * 0.02)},\"site\":\"a\"}}\n");
        }

        string path = _files.Create(lines.ToString());

        CentroidSnapshot final = await RunAsync(new SourceOptions { Path = path, Format = RecordFormat.JsonLines, Columns = ["flow", "rpm"] });

        Assert.Equal(["flow", "rpm"], final.Columns);
    }

    [Fact]
    public async Task Run_CsvWithoutAHeader_SnapshotsNameNoColumnsAndTheJsonLeavesThemOut()
    {
        CentroidSnapshot final = await RunAsync(new SourceOptions { Path = _files.Create(Csv(header: null)) });

        Assert.Null(final.Columns);
        using JsonDocument json = JsonDocument.Parse(SnapshotJson.Serialize(final));
        Assert.False(json.RootElement.TryGetProperty("columns", out _));
    }

    private static string Csv(string? header, bool withTime = false)
    {
        var csv = new StringBuilder();
        if (header is not null)
        {
            csv.Append(header).Append('\n');
        }

        for (int i = 0; i < 40; i++)
        {
            string time = withTime ? string.Create(CultureInfo.InvariantCulture, $"{1_700_000_000 + i},") : string.Empty;
            csv.Append(CultureInfo.InvariantCulture, $"{time}{(i % 2 * 10) + (i * 0.01)},{(i % 2 * 5) + (i * 0.02)}\n");
        }

        return csv.ToString();
    }

    private static async Task<CentroidSnapshot> RunAsync(SourceOptions source)
    {
        var options = new StreamingClustersOptions { Clusters = 2, BatchSize = 16, Seed = 1, Parallelism = 1, Seeding = { BufferSize = 16 }, Sources = [source] };
        var pipeline = new ClusteringPipeline(options, new RecordingDeadLetterSink(), new FakeTimeProvider(), NullLoggerFactory.Instance);
        Task<CentroidSnapshot> final = pipeline.Snapshots.LastAsync().ToTask();
        await pipeline.RunAsync([PointSourceFactory.Create(source, 0, options)], stopWhenSourcesEnd: true, CancellationToken.None);
        return await final;
    }
}
