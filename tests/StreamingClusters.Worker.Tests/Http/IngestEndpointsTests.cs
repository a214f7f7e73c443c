using System.Net;
using System.Text.Json;
using static StreamingClusters.Worker.Tests.Http.HttpRequests;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>POST /points through the real worker: the status says whether anything was learnt, and one source holds a body's points and rejections.</summary>
public sealed class IngestEndpointsTests
{
    [Fact]
    public async Task Post_EveryRecordRejected_422WithCountsAndReasonsAsWritten()
    {
        await using WorkerServer server = await WorkerServer.StartAsync();

        using HttpResponseMessage posted = await PostAsync(server.Client, "/points", "x,y\n1,web-0\n2\n3,'a'\n");
        string text = await posted.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.UnprocessableContent, posted.StatusCode);
        Assert.Equal("application/json", posted.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("\\u0027", text, StringComparison.Ordinal);
        using JsonDocument answer = JsonDocument.Parse(text);
        JsonElement root = answer.RootElement;
        Assert.Equal("all 3 record(s) were rejected; the first reasons are in errors", root.GetProperty("error").GetString());
        Assert.Equal((0, 3), (root.GetProperty("accepted").GetInt32(), root.GetProperty("rejected").GetInt32()));
        Assert.Equal(
            [(2L, "value 1 (zero-based) 'web-0' is not a number"), (3L, "1 field where the header has 2"), (4L, "value 1 (zero-based) ''a'' is not a number")],
            root.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("line").GetInt64(), e.GetProperty("reason").GetString()!)));
    }

    [Fact]
    public async Task Post_AcceptedAndRejected_CountedUnderTheOneSourceHttpEverywhere()
    {
        await using WorkerServer server = await WorkerServer.StartAsync("--snapshot-out", "final.json");
        using EventReader events = await OpenStreamAsync(server.Client);

        // Eight good points seed the model (buffer 8); two records are rejected.
        string csv = "0,0\n0.1,0.2\n10,10\nbad,1\n10.1,9.9\n0.2,0.1\n9.9,10.2\n1\n0.3,0\n10,10.1\n";
        using (HttpResponseMessage posted = await PostAsync(server.Client, "/points", csv))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
            using JsonDocument answer = await ReadJsonAsync(posted);
            Assert.Equal((8, 2), (answer.RootElement.GetProperty("accepted").GetInt32(), answer.RootElement.GetProperty("rejected").GetInt32()));
            Assert.False(answer.RootElement.TryGetProperty("error", out _));
        }

        ServerEvent seeded = await events.NextEventAsync();
        using (JsonDocument snapshot = JsonDocument.Parse(seeded.Data!))
        {
            Assert.Equal(8, snapshot.RootElement.GetProperty("pointsApplied").GetInt64());
            JsonElement[] sources = [.. snapshot.RootElement.GetProperty("sources").EnumerateArray()];
            Assert.DoesNotContain(sources, s => s.GetProperty("name").GetString() == "writer");
            JsonElement http = Assert.Single(sources, s => s.GetProperty("name").GetString() == "http");
            Assert.Equal((10L, 8L, 2L), (http.GetProperty("received").GetInt64(), http.GetProperty("applied").GetInt64(), http.GetProperty("rejected").GetInt64()));
        }

        string metrics = await server.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Matches("streamingclusters_records_received_total\\{[^}]*source=\"http\"[^}]*\\} 10\n", metrics);
        Assert.Matches("streamingclusters_points_applied_total\\{[^}]*source=\"http\"[^}]*\\} 8\n", metrics);
        Assert.Matches("streamingclusters_records_rejected_total\\{[^}]*source=\"http\"[^}]*\\} 2\n", metrics);
        Assert.DoesNotContain("source=\"writer\"", metrics, StringComparison.Ordinal);

        Assert.Equal(0, await server.StopAsync());
        string[] deadLetters = await File.ReadAllLinesAsync(server.DeadLetterPath);
        Assert.Equal(
            [("http", 4L), ("http", 8L)],
            deadLetters.Select(l =>
            {
                using var json = JsonDocument.Parse(l);
                return (json.RootElement.GetProperty("source").GetString()!, json.RootElement.GetProperty("record").GetInt64());
            }));
    }

    [Fact]
    public async Task Post_CsvWithHeader_SnapshotsNameTheColumns()
    {
        await using WorkerServer server = await WorkerServer.StartAsync();
        using EventReader events = await OpenStreamAsync(server.Client);

        // Eight points seed the model (buffer 8); the header names its two columns.
        using (HttpResponseMessage posted = await PostAsync(server.Client, "/points", "temperature,pressure\n0,0\n0.1,0.2\n10,10\n10.1,9.9\n0.2,0.1\n9.9,10.2\n0.3,0\n10,10.1\n"))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }

        ServerEvent seeded = await events.NextEventAsync();
        using JsonDocument snapshot = JsonDocument.Parse(seeded.Data!);
        Assert.Equal(["temperature", "pressure"], snapshot.RootElement.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!));
    }
}
