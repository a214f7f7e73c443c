using System.Net;
using System.Text;
using System.Text.Json;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>Every error of every endpoint, and of paths and methods that have none, answers JSON with an "error".</summary>
public sealed class JsonErrorsTests
{
    private const string ApiKey = "0123456789abcdef-test-key";

    [Fact]
    public async Task Errors_OfEveryEndpoint_AreJsonWithAReadableError()
    {
        await using WorkerServer server = await WorkerServer.StartAsync("--api-key", ApiKey, "--StreamingClusters:Http:MaxBodyBytes=100");
        HttpClient client = server.Client;
        var seen = new List<(HttpStatusCode Status, string Error)>();

        async Task ExpectAsync(HttpMethod method, string path, HttpStatusCode status, string? body = null, string contentType = "text/csv", bool key = true)
        {
            using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, contentType);
            }

            if (key)
            {
                request.Headers.Add("X-Api-Key", ApiKey);
            }

            using HttpResponseMessage response = await client.SendAsync(request);
            string text = await response.Content.ReadAsStringAsync();
            Assert.Equal((path, status), (path, response.StatusCode));
            Assert.Equal((path, "application/json"), (path, response.Content.Headers.ContentType?.MediaType));
            Assert.DoesNotContain("\\u00", text, StringComparison.Ordinal);
            using var json = JsonDocument.Parse(text);
            seen.Add((status, json.RootElement.GetProperty("error").GetString()!));
        }

        await ExpectAsync(HttpMethod.Get, "/nowhere", HttpStatusCode.NotFound);
        await ExpectAsync(HttpMethod.Delete, "/points", HttpStatusCode.MethodNotAllowed);
        await ExpectAsync(HttpMethod.Get, "/model/stream?interval=1x", HttpStatusCode.BadRequest);
        await ExpectAsync(HttpMethod.Get, "/model", HttpStatusCode.ServiceUnavailable);
        await ExpectAsync(HttpMethod.Post, "/points", HttpStatusCode.Unauthorized, "1,2\n", key: false);
        await ExpectAsync(HttpMethod.Post, "/points", HttpStatusCode.UnsupportedMediaType, "1,2\n", "text/plain");
        await ExpectAsync(HttpMethod.Post, "/points", HttpStatusCode.RequestEntityTooLarge, string.Concat(Enumerable.Repeat("1,2\n", 30)));
        await ExpectAsync(HttpMethod.Post, "/points", HttpStatusCode.UnprocessableContent, "x,y\n1,'a'\n");
        await ExpectAsync(HttpMethod.Post, "/score", HttpStatusCode.ServiceUnavailable, "1,2\n");
        Assert.Equal(
            [
                "no endpoint at /nowhere",
                "DELETE is not allowed on /points; allowed: POST",
                "interval must be a duration such as 500ms, 30s, 10m, 2h or 00:00:30, not '1x'",
                "the model is not seeded yet",
                "a valid API key is required (X-Api-Key or Authorization: Bearer)",
                "send text/csv or application/x-ndjson (application/jsonl)",
                "the body is larger than StreamingClusters:Http:MaxBodyBytes (100)",
                "all 1 record(s) were rejected; the first reasons are in errors",
                "the model is not seeded yet",
            ],
            seen.Select(s => s.Error));
    }
}
