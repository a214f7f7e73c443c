using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using static StreamingClusters.Worker.Tests.Http.HttpRequests;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>GET /metrics through the real worker: what a dashboard needs, named, and no model values before there is a model.</summary>
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_BeforeAndAfterSeeding_ModelSeriesOnlyOnceSeededWithWeightsInertiaAndReseeds()
    {
        await using WorkerServer server = await WorkerServer.StartAsync();
        HttpClient client = server.Client;
        using EventReader events = await OpenStreamAsync(client);

        // Not seeded: /healthz says version −1, and /metrics has no version (nor any model value) to contradict it.
        string before = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Matches("target_info\\{[^}]*service_name=\"streamingclusters\"", before);
        Assert.DoesNotMatch("(?m)^streamingclusters_model_version\\{", before);
        Assert.DoesNotMatch("(?m)^streamingclusters_model_inertia\\{", before);
        Assert.DoesNotMatch("(?m)^streamingclusters_cluster_weight\\{", before);
        Assert.Equal(0, Sample(before, "streamingclusters_reseeds_total"));

        using (HttpResponseMessage posted = await PostAsync(client, "/points", "0,0\n0.1,0.2\n10,10\n10.1,9.9\n0.2,0.1\n9.9,10.2\n0.3,0\n10,10.1\n"))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }

        using JsonDocument snapshot = JsonDocument.Parse((await events.NextEventAsync()).Data!);
        JsonElement root = snapshot.RootElement;
        string after = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(root.GetProperty("version").GetInt64(), Sample(after, "streamingclusters_model_version"));
        Assert.Equal(root.GetProperty("inertia").GetDouble(), Sample(after, "streamingclusters_model_inertia"), 9);
        double[] weights = [.. root.GetProperty("weights").EnumerateArray().Select(w => w.GetDouble())];
        Assert.Equal(weights, weights.Select((_, c) => Sample(after, "streamingclusters_cluster_weight", $"cluster=\"{c}\"")));
        Assert.Equal(0, Sample(after, "streamingclusters_reseeds_total"));
    }

    [Fact]
    public async Task Metrics_RepairMoves_CountsClusterEventsByKind()
    {
        // Batches of 16 (a split is measured on at least 8 of a cluster's points); the seeding buffer
        // sees one group only, so both centroids start in it.
        await using WorkerServer server = await WorkerServer.StartAsync("--batch-size", "16");
        HttpClient client = server.Client;
        using EventReader events = await OpenStreamAsync(client);
        string before = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.All(Kinds, kind => Assert.Equal(0, Sample(before, "streamingclusters_cluster_events_total", $"kind=\"{kind}\"")));

        // A second group arrives far away: the repair merges the two halves of the first and splits
        // the second off the centroid it arrived at.
        var body = new System.Text.StringBuilder();
        for (int i = 0; i < 8; i++)
        {
            body.Append(CultureInfo.InvariantCulture, $"{0.1 * (i % 3)},{0.1 * (i % 2)}\n");
        }

        for (int i = 0; i < 32; i++)
        {
            body.Append(CultureInfo.InvariantCulture, $"{10 + (0.1 * (i % 3))},{10 + (0.1 * (i % 2))}\n");
        }

        using (HttpResponseMessage posted = await PostAsync(client, "/points", body.ToString()))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }

        // The metrics count an event before it is published. (A guard, not a measure: a repair that never
        // moves fails here instead of hanging the run.)
        ServerEvent split = await events.NextEventAsync("cluster").WaitAsync(TimeSpan.FromMinutes(1));
        while (JsonDocument.Parse(split.Data!).RootElement.GetProperty("kind").GetString() != "splitOff")
        {
            split = await events.NextEventAsync("cluster").WaitAsync(TimeSpan.FromMinutes(1));
        }

        string after = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(2, Sample(after, "streamingclusters_cluster_events_total", "kind=\"seeded\""));
        Assert.Equal(1, Sample(after, "streamingclusters_cluster_events_total", "kind=\"removed\""));
        Assert.Equal(1, Sample(after, "streamingclusters_cluster_events_total", "kind=\"splitOff\""));
        Assert.Equal(0, Sample(after, "streamingclusters_cluster_events_total", "kind=\"reseeded\""));
    }

    private static readonly string[] Kinds = ["seeded", "reseeded", "removed", "splitOff"];

    /// <summary>Reads the value of the one sample of <paramref name="name"/> (whose labels contain <paramref name="label"/>).</summary>
    private static double Sample(string metrics, string name, string label = "")
    {
        Match match = Regex.Match(metrics, $"(?m)^{Regex.Escape(name)}\\{{[^}}]*{Regex.Escape(label)}[^}}]*\\}} (\\S+)$");
        Assert.True(match.Success, $"no {name}{{{label}}} in:\n{metrics}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
