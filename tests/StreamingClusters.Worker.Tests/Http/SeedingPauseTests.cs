using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using static StreamingClusters.Worker.Tests.Http.HttpRequests;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>A stream shorter than the seeding buffer: the service seeds once the input pauses, and says so.</summary>
public sealed class SeedingPauseTests
{
    [Fact]
    public async Task Post_FewerPointsThanTheSeedingBuffer_SeedsOnThemOnceTheInputPauses()
    {
        await using WorkerServer server = await WorkerServer.StartAsync(
            "--StreamingClusters:Seeding:BufferSize=8192", "--StreamingClusters:Seeding:IdleTimeout=300ms", "--batch-size", "1024");
        using (HttpResponseMessage health = await server.Client.GetAsync(new Uri("/healthz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            using JsonDocument starting = await ReadJsonAsync(health);
            Assert.Equal("starting", starting.RootElement.GetProperty("status").GetString());
            JsonElement seeding = starting.RootElement.GetProperty("seeding");
            Assert.Equal((0, 8192), (seeding.GetProperty("buffered").GetInt32(), seeding.GetProperty("bufferSize").GetInt32()));
        }

        using EventReader events = await OpenStreamAsync(server.Client);
        Assert.Equal(new ServerEvent(null, "1000", null), await events.NextBlockAsync());
        using (HttpResponseMessage posted = await PostAsync(server.Client, "/points", TwoBlobs(3000)))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }

        using JsonDocument seeded = JsonDocument.Parse((await events.NextEventAsync()).Data!);
        Assert.Equal(3000, seeded.RootElement.GetProperty("pointsApplied").GetInt64());
        Assert.Contains("The input paused for 0.3s with 3000 points buffered: seeding on them", await server.OutputLineAsync("seeding on them"), StringComparison.Ordinal);
        using HttpResponseMessage ready = await server.Client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    private static string TwoBlobs(int count)
    {
        var random = new Random(5);
        var body = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            double centre = i % 2 * 10;
            body.Append(CultureInfo.InvariantCulture, $"{centre + random.NextDouble():F3},{centre + random.NextDouble():F3}\n");
        }

        return body.ToString();
    }
}
