using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>
/// The worker's HTTP surface over real loopback HTTP. Each test drives one worker process through a
/// scenario, gated on the server-sent snapshot events rather than on time.
/// </summary>
public sealed class HttpEndpointTests
{
    private const string ApiKey = "0123456789abcdef-test-key";

    [Fact]
    public async Task Serve_PointsThenModel_HealthModelStreamScoreAndMetricsFollowTheModel()
    {
        await using WorkerServer server = await WorkerServer.StartAsync();
        HttpClient client = server.Client;

        // Not seeded: not ready, no model.
        using (HttpResponseMessage health = await client.GetAsync(new Uri("/healthz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        }

        using (HttpResponseMessage model = await client.GetAsync(new Uri("/model", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, model.StatusCode);
        }

        using HttpResponseMessage stream = await client.GetAsync(new Uri("/model/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        using var events = new StreamReader(await stream.Content.ReadAsStreamAsync());

        // Ten good points (a header, two blobs) and two bad records on lines 4 and 7.
        string csv = "x,y\n0,0\n0.5,0.1\n1,abc\n10,10\n10.2,9.9\n1,2,3\n0.1,0.4\n9.8,10.1\n0.3,0.3\n10.1,10.3\n0.2,0.1\n9.9,9.7\n";
        using (HttpResponseMessage posted = await PostAsync(client, "/points", csv, "text/csv"))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
            using JsonDocument answer = await ReadJsonAsync(posted);
            Assert.Equal(10, answer.RootElement.GetProperty("accepted").GetInt32());
            Assert.Equal(2, answer.RootElement.GetProperty("rejected").GetInt32());
            Assert.Equal(1, answer.RootElement.GetProperty("header").GetInt64());
            JsonElement[] errors = [.. answer.RootElement.GetProperty("errors").EnumerateArray()];
            Assert.Equal([4L, 7L], errors.Select(e => e.GetProperty("line").GetInt64()));
            Assert.Contains("abc", errors[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.Contains("3 fields where the header has 2", errors[1].GetProperty("reason").GetString(), StringComparison.Ordinal);
        }

        using JsonDocument first = await NextEventAsync(events);
        long firstVersion = first.RootElement.GetProperty("version").GetInt64();

        // Seeded: ready, and a model to read.
        using (HttpResponseMessage health = await client.GetAsync(new Uri("/healthz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            using JsonDocument answer = await ReadJsonAsync(health);
            Assert.Equal("ready", answer.RootElement.GetProperty("status").GetString());
        }

        string jsonLines = "{\"x\":0.1,\"y\":0.2}\n[10,10.1]\n{\"x\":0.2,\"y\":0}\n[9.9,10]\n";
        using (HttpResponseMessage posted = await PostAsync(client, "/points", jsonLines, "application/x-ndjson"))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }

        using JsonDocument second = await NextEventAsync(events);
        Assert.True(second.RootElement.GetProperty("version").GetInt64() > firstVersion);

        using (HttpResponseMessage model = await client.GetAsync(new Uri("/model", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, model.StatusCode);
            using JsonDocument snapshot = await ReadJsonAsync(model);
            JsonElement root = snapshot.RootElement;
            Assert.Equal(2, root.GetProperty("clusters").GetInt32());
            Assert.Equal(2, root.GetProperty("pointsRejected").GetInt64());
            JsonElement http = root.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "http");
            Assert.Equal(2, http.GetProperty("rejected").GetInt64());
        }

        using (HttpResponseMessage scored = await PostAsync(client, "/score", "0.1,0.1\n10,10\n0,0.2\n", "text/csv"))
        {
            Assert.Equal(HttpStatusCode.OK, scored.StatusCode);
            using JsonDocument answer = await ReadJsonAsync(scored);
            JsonElement[] results = [.. answer.RootElement.GetProperty("results").EnumerateArray()];
            Assert.Equal(3, results.Length);
            int[] clusters = [.. results.Select(r => r.GetProperty("cluster").GetInt32())];
            Assert.Equal(clusters[0], clusters[2]);
            Assert.NotEqual(clusters[0], clusters[1]);
            Assert.All(results, r => Assert.True(r.GetProperty("squaredDistance").GetSingle() < 1));
            Assert.True(answer.RootElement.GetProperty("version").GetInt64() >= firstVersion);
        }

        string metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("streamingclusters_records_received", metrics, StringComparison.Ordinal);
        Assert.Contains("streamingclusters_records_rejected", metrics, StringComparison.Ordinal);
        Assert.Matches("http_server_request_duration_seconds_count\\{[^}]*http_route=\"/points\"[^}]*\\} [1-9]", metrics);
        Assert.Contains("kestrel_active_connections", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ApiKeyAndLimits_RefusesWithoutKeyAndOversizedOrUntypedBodies()
    {
        await using WorkerServer server = await WorkerServer.StartAsync("--api-key", ApiKey, "--StreamingClusters:Http:MaxBodyBytes=1000");
        HttpClient client = server.Client;

        using (HttpResponseMessage refused = await PostAsync(client, "/points", "1,2\n", "text/csv"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (HttpResponseMessage wrong = await PostAsync(client, "/points", "1,2\n", "text/csv", request => request.Headers.Add("X-Api-Key", ApiKey + "x")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using (HttpResponseMessage accepted = await PostAsync(client, "/points", "1,2\n", "text/csv", request => request.Headers.Add("X-Api-Key", ApiKey)))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        using (HttpResponseMessage bearer = await PostAsync(client, "/points", "3,4\n", "text/csv", request => request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey)))
        {
            Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
            using JsonDocument answer = await ReadJsonAsync(bearer);
            Assert.Equal(1, answer.RootElement.GetProperty("accepted").GetInt32());
        }

        var large = new StringBuilder();
        for (int i = 0; large.Length <= 1000; i++)
        {
            large.Append(CultureInfo.InvariantCulture, $"{i},{i}\n");
        }

        using (HttpResponseMessage tooLarge = await PostAsync(client, "/points", large.ToString(), "text/csv", request => request.Headers.Add("X-Api-Key", ApiKey)))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        }

        using (HttpResponseMessage untyped = await PostAsync(client, "/points", "1,2\n", "text/plain", request => request.Headers.Add("X-Api-Key", ApiKey)))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, untyped.StatusCode);
        }
    }

    [Fact]
    public async Task Start_BadHttpSettings_RefusedWithMessagesNamingTheSettings()
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("sc-http-bad-");
        try
        {
            string input = Path.Combine(dir.FullName, "empty.csv");
            await File.WriteAllTextAsync(input, string.Empty);

            WorkerProcess.Result run = await WorkerProcess.RunAsync(
                dir.FullName, null,
                "--urls", "http://127.0.0.1:0", "--input", input, "--api-key", "short",
                "--StreamingClusters:Http:MaxBodyBytes=0", "--StreamingClusters:Http:RetryAfter=00:00:00");

            Assert.Equal(2, run.ExitCode);
            Assert.Contains("Configuration refused: StreamingClusters:Http:MaxBodyBytes must be between 1 and 2147483647, not 0.", run.Error, StringComparison.Ordinal);
            Assert.Contains("Configuration refused: StreamingClusters:Http:RetryAfter must be between 00:00:01 and 01:00:00, not 00:00:00.", run.Error, StringComparison.Ordinal);
            Assert.Contains("Configuration refused: StreamingClusters:Http:ApiKey must be at least 16 characters without blanks.", run.Error, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string body, string contentType, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, contentType),
        };
        configure?.Invoke(request);
        return await client.SendAsync(request);
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response) =>
        await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());

    /// <summary>Reads the next server-sent event's data as JSON.</summary>
    private static async Task<JsonDocument> NextEventAsync(StreamReader events)
    {
        // Snapshots are the default (message) events; named ones (event: cluster) are skipped.
        string? line;
        bool named = false;
        while ((line = await events.ReadLineAsync()) is not null)
        {
            if (line.Length == 0)
            {
                named = false;
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                named = true;
            }
            else if (!named && line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return JsonDocument.Parse(line["data: ".Length..]);
            }
        }

        throw new InvalidOperationException("The event stream ended.");
    }
}
