using System.Net;
using System.Text.Json;
using static StreamingClusters.Worker.Tests.Http.HttpRequests;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>GET /model/stream through the real worker: the product's durations, event ids, and a reconnect that resumes.</summary>
public sealed class ModelStreamTests
{
    private const string SeedingBody = "0,0\n0.1,0.2\n10,10\n10.1,9.9\n0.2,0.1\n9.9,10.2\n0.3,0\n10,10.1\n";

    [Fact]
    public async Task Stream_IntervalInTheProductsDurationSyntax_Streams()
    {
        await using WorkerServer server = await WorkerServer.StartAsync();

        foreach (string interval in new[] { "500ms", "1s", "1.5s", "10m", "2h", "00:00:01", "0" })
        {
            using EventReader events = await OpenStreamAsync(server.Client, $"?interval={interval}");
            Assert.Equal((interval, HttpStatusCode.OK), (interval, events.Response.StatusCode));
            Assert.Equal("text/event-stream", events.Response.Content.Headers.ContentType?.MediaType);
        }

        foreach (string interval in new[] { "1x", "5", "-1s", "soon" })
        {
            using EventReader events = await OpenStreamAsync(server.Client, $"?interval={interval}");
            Assert.Equal(HttpStatusCode.BadRequest, events.Response.StatusCode);
            using JsonDocument answer = await ReadJsonAsync(events.Response);
            Assert.Equal($"interval must be a duration such as 500ms, 30s, 10m, 2h or 00:00:30, not '{interval}'", answer.RootElement.GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task Stream_Reconnect_EventsCarryTheVersionAsIdAndLastEventIdSkipsWhatTheClientHas()
    {
        await using WorkerServer server = await WorkerServer.StartAsync();
        long first;
        using (EventReader events = await OpenStreamAsync(server.Client))
        {
            // The stream opens with how long to wait before reconnecting (Retry-After, 1 s by default).
            Assert.Equal(new ServerEvent(null, "1000", null), await events.NextBlockAsync());
            using (HttpResponseMessage posted = await PostAsync(server.Client, "/points", SeedingBody))
            {
                Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
            }

            ServerEvent seeded = await events.NextEventAsync();
            using JsonDocument snapshot = JsonDocument.Parse(seeded.Data!);
            first = snapshot.RootElement.GetProperty("version").GetInt64();
            Assert.Equal(first, seeded.Version);
        }

        // A client that had an older version is sent the latest at once.
        using (EventReader behind = await OpenStreamAsync(server.Client, lastEventId: $"{first - 1}"))
        {
            Assert.Equal(first, (await behind.NextEventAsync()).Version);
        }

        // A client that had the latest is not sent it again: its first event is the next version.
        using EventReader upToDate = await OpenStreamAsync(server.Client, lastEventId: $"{first}");
        Assert.Equal("1000", (await upToDate.NextBlockAsync()).Retry);
        using (HttpResponseMessage posted = await PostAsync(server.Client, "/points", "0.1,0.1\n10,10\n0,0.2\n9.9,10\n"))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }

        ServerEvent next = await upToDate.NextEventAsync();
        Assert.True(next.Version > first, $"version {next.Version} after {first}");
        using JsonDocument nextSnapshot = JsonDocument.Parse(next.Data!);
        Assert.Equal(next.Version, nextSnapshot.RootElement.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Stream_Seeding_SendsEachClustersBirthAsANamedClusterEventBesideTheSnapshots()
    {
        await using WorkerServer server = await WorkerServer.StartAsync();
        using EventReader events = await OpenStreamAsync(server.Client);
        using (HttpResponseMessage posted = await PostAsync(server.Client, "/points", SeedingBody))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }

        // The two kinds go out on their own queues: either may come first.
        ServerEvent? born = null, snapshot = null;
        while (born is null || snapshot is null)
        {
            ServerEvent e = await events.NextBlockAsync();
            if (e.Data is null)
            {
                continue;
            }

            if (e.Event == "cluster")
            {
                born ??= e;
            }
            else
            {
                snapshot ??= e;
            }
        }

        // No id: Last-Event-ID stays the version of the last snapshot the client had.
        Assert.Null(born.Id);
        using JsonDocument clusterEvent = JsonDocument.Parse(born.Data!);
        Assert.Equal("seeded", clusterEvent.RootElement.GetProperty("kind").GetString());
        Assert.Equal(snapshot.Version, clusterEvent.RootElement.GetProperty("version").GetInt64());
        using JsonDocument model = JsonDocument.Parse(snapshot.Data!);
        long[] ids = [.. model.RootElement.GetProperty("ids").EnumerateArray().Select(i => i.GetInt64())];
        Assert.Contains(clusterEvent.RootElement.GetProperty("newId").GetInt64(), ids);
    }
}
