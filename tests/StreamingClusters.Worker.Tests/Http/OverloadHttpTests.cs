using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>
/// POST /points against a model far slower than its producers, over real loopback HTTP: the pipeline
/// holds at most its capacity, the rest is refused with 503 and Retry-After, and every point that was
/// accepted is applied before the final snapshot. The model is slow by its shape (k·d per point), not by
/// any hook; the producers post until the server has refused them, so no test step waits on time.
/// </summary>
public sealed class OverloadHttpTests
{
    private const int Dimensions = 16;
    private const int PointsPerBody = 1_000;
    private const int Producers = 4;
    private const int SeedingBuffer = 2048;

    /// <summary>A bound on a run where the model keeps up after all; it fails the test rather than hangs.</summary>
    private const int MaxRequests = 2_000;

    [Fact]
    public async Task PostPoints_ProducersFasterThanTheModel_Answers503WithRetryAfterAndAppliesEveryAcceptedPoint()
    {
        await using WorkerServer server = await WorkerServer.StartAsync(
            "--clusters", "2048", "--dimensions", $"{Dimensions}", "--batch-size", "1000", "--snapshot-out", "final.json",
            "--StreamingClusters:ChannelCapacity=1000", "--StreamingClusters:BlockSize=250",
            $"--StreamingClusters:Seeding:BufferSize={SeedingBuffer}", "--StreamingClusters:Seeding:Candidates=1", "--StreamingClusters:Seeding:RefineIterations=0",
            // No wait for room: a full pipeline answers at once.
            "--StreamingClusters:Http:IngestWait=00:00:00");
        long accepted = 0;
        int refused = 0;
        int requests = 0;
        var unexpected = new List<string>();

        async Task ProduceAsync()
        {
            int request;
            // Until refused, and past the seeding buffer: a model never seeded would fail the run at its stop.
            while ((Volatile.Read(ref refused) == 0 || Interlocked.Read(ref accepted) < 2 * SeedingBuffer) && (request = Interlocked.Increment(ref requests)) <= MaxRequests)
            {
                // A body of its own per request: seeding 2048 clusters needs 2048 distinct points, whichever bodies are refused.
                using var content = new ByteArrayContent(LoadCsv.Body(PointsPerBody, Dimensions, seed: request));
                content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
                using HttpResponseMessage response = await server.Client.PostAsync(new Uri("/points", UriKind.Relative), content);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    using JsonDocument answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    Interlocked.Add(ref accepted, answer.RootElement.GetProperty("accepted").GetInt64());
                }
                else if (response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter?.Delta == TimeSpan.FromSeconds(1))
                {
                    Interlocked.Increment(ref refused);
                }
                else
                {
                    lock (unexpected)
                    {
                        unexpected.Add($"{(int)response.StatusCode} Retry-After: {response.Headers.RetryAfter}");
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Producers).Select(_ => Task.Run(ProduceAsync)));

        Assert.Empty(unexpected);
        Assert.True(refused > 0, $"No 503 in {MaxRequests} requests: the model kept up with {Producers} producers.");
        Assert.True(accepted > 0);
        Assert.Equal(0, accepted % PointsPerBody);
        Assert.Equal(0, await server.StopAsync());
        using JsonDocument final = JsonDocument.Parse(await File.ReadAllBytesAsync(server.PathOf("final.json")));
        JsonElement root = final.RootElement;
        Assert.True(root.GetProperty("isFinal").GetBoolean());
        // A refused body is not counted at all: what was received is exactly what was accepted, and all of it was applied.
        Assert.Equal(accepted, root.GetProperty("pointsReceived").GetInt64());
        Assert.Equal(accepted, root.GetProperty("pointsApplied").GetInt64());
        JsonElement http = root.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "http");
        Assert.Equal(accepted, http.GetProperty("applied").GetInt64());
    }
}
