using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using StreamingClusters.Worker.Http;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>
/// StreamingClusters:Http:MaxConcurrentIngests over real loopback HTTP. A request is held inside the
/// limit by Expect: 100-continue: the server answers 100 only once the handler starts reading the body,
/// that is once the request holds its place, and only then does the client send the body, which it
/// sends in part and then keeps until the test lets it go. No step waits on time.
/// </summary>
public sealed class IngestLimitTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task PostPoints_LimitReachedWhileABodyIsRead_Answers503WithRetryAfterUncountedThenAcceptsAgain()
    {
        await using WorkerServer server = await WorkerServer.StartAsync("--snapshot-out", "final.json", "--StreamingClusters:Http:MaxConcurrentIngests=1");
        HttpClient client = server.Client;
        long accepted = 0;

        // Seeded first, so that the reads below have a model to answer with: the first event of the stream is the first model.
        accepted += await PostAcceptedAsync(client, LoadCsv.Body(16, 2, seed: 1));
        using (HttpResponseMessage stream = await client.GetAsync(new Uri("/model/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead))
        using (var events = new StreamReader(await stream.Content.ReadAsStreamAsync()))
        {
            string? line;
            while ((line = await events.ReadLineAsync()) is not null && !line.StartsWith("data: ", StringComparison.Ordinal))
            {
            }

            Assert.NotNull(line);
        }

        // A second client, on its own connection, whose body the server is made to wait for.
        using var handler = new SocketsHttpHandler { Expect100ContinueTimeout = Hang };
        using var held = new HttpClient(handler) { BaseAddress = client.BaseAddress, Timeout = Hang };
        byte[] heldBody = LoadCsv.Body(4_000, 2, seed: 2);
        using var heldContent = new HeldContent(heldBody, "text/csv");
        using var heldRequest = new HttpRequestMessage(HttpMethod.Post, new Uri("/points", UriKind.Relative)) { Content = heldContent };
        heldRequest.Headers.ExpectContinue = true;
        Task<HttpResponseMessage> heldResponse = held.SendAsync(heldRequest);
        await heldContent.Reading.Task.WaitAsync(Hang);

        // The only place is taken: both body endpoints refuse at once, before reading, as for a full pipeline.
        foreach (string path in new[] { "/points", "/score" })
        {
            using HttpResponseMessage refused = await PostAsync(client, path, LoadCsv.Body(50, 2, seed: 3));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
            using JsonDocument answer = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Equal(
                "1 request(s) are already being read (StreamingClusters:Http:MaxConcurrentIngests); retry later",
                answer.RootElement.GetProperty("error").GetString());
        }

        // Reads are not limited.
        foreach (string path in new[] { "/model", "/healthz", "/metrics" })
        {
            using HttpResponseMessage read = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        heldContent.Release.SetResult();
        using (HttpResponseMessage response = await heldResponse.WaitAsync(Hang))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using JsonDocument answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(4_000, answer.RootElement.GetProperty("accepted").GetInt64());
            accepted += 4_000;
        }

        // The place is free again: the refused body, sent again, is taken.
        accepted += await PostAcceptedAsync(client, LoadCsv.Body(50, 2, seed: 3));
        using (HttpResponseMessage scored = await PostAsync(client, "/score", LoadCsv.Body(50, 2, seed: 3)))
        {
            Assert.Equal(HttpStatusCode.OK, scored.StatusCode);
        }

        Assert.Equal(0, await server.StopAsync());
        using JsonDocument final = JsonDocument.Parse(await File.ReadAllBytesAsync(server.PathOf("final.json")));
        JsonElement root = final.RootElement;
        Assert.True(root.GetProperty("isFinal").GetBoolean());
        // The refused bodies were not counted anywhere: received is what the 200s accepted, and all of it was applied.
        Assert.Equal(accepted, root.GetProperty("pointsReceived").GetInt64());
        Assert.Equal(accepted, root.GetProperty("pointsApplied").GetInt64());
        Assert.Equal(0, root.GetProperty("pointsRejected").GetInt64());
    }

    [Fact]
    public async Task Start_MaxConcurrentIngestsZero_RefusedNamingTheSetting()
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("sc-http-limit-");
        try
        {
            string input = Path.Combine(dir.FullName, "empty.csv");
            await File.WriteAllTextAsync(input, string.Empty);

            WorkerProcess.Result run = await WorkerProcess.RunAsync(
                dir.FullName, null, "--urls", "http://127.0.0.1:0", "--input", input, "--StreamingClusters:Http:MaxConcurrentIngests=0");

            Assert.Equal(2, run.ExitCode);
            Assert.Contains("Configuration refused: StreamingClusters:Http:MaxConcurrentIngests must be between 1 and 65536, not 0.", run.Error, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(1, null)]
    [InlineData(65536, null)]
    [InlineData(0, "StreamingClusters:Http:MaxConcurrentIngests must be between 1 and 65536, not 0.")]
    [InlineData(-3, "StreamingClusters:Http:MaxConcurrentIngests must be between 1 and 65536, not -3.")]
    [InlineData(65537, "StreamingClusters:Http:MaxConcurrentIngests must be between 1 and 65536, not 65537.")]
    public void Validate_MaxConcurrentIngests_RefusedOutsideOneTo65536(int value, string? expected)
    {
        var options = new HttpOptions { MaxConcurrentIngests = value };

        Assert.Equal(expected is null ? [] : [expected], options.Validate());
    }

    [Fact]
    public void MaxConcurrentIngests_Default_Sixteen() => Assert.Equal(16, new HttpOptions().MaxConcurrentIngests);

    private static async Task<long> PostAcceptedAsync(HttpClient client, byte[] body)
    {
        using HttpResponseMessage response = await PostAsync(client, "/points", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return answer.RootElement.GetProperty("accepted").GetInt64();
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        return await client.PostAsync(new Uri(path, UriKind.Relative), content);
    }

    /// <summary>
    /// A body sent only after the server asks for it (100 Continue), half at once and the rest when
    /// <see cref="Release"/> completes. The first half is large, so that Kestrel's minimum body data
    /// rate never cuts the held request short.
    /// </summary>
    private sealed class HeldContent : HttpContent
    {
        private readonly byte[] _body;

        public HeldContent(byte[] body, string mediaType)
        {
            _body = body;
            Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        }

        /// <summary>Gets the signal that the server has started to read the body.</summary>
        public TaskCompletionSource Reading { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Gets the signal to send the rest of the body.</summary>
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            int half = _body.Length / 2;
            await stream.WriteAsync(_body.AsMemory(0, half));
            await stream.FlushAsync();
            Reading.TrySetResult();
            await Release.Task;
            await stream.WriteAsync(_body.AsMemory(half));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _body.Length;
            return true;
        }
    }
}
