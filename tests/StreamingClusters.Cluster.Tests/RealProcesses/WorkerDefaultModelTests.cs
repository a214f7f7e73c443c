using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace StreamingClusters.Cluster.Tests.RealProcesses;

/// <summary>
/// Two workers on one Redis: the model default (the top-level settings, /points, /model, /score) is the
/// cluster's grain, posted to on one worker and read on the other; /healthz speaks of the grain and of
/// every model, and /metrics exports every model of the cluster, as its grain persisted it.
/// </summary>
public sealed class WorkerDefaultModelTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Default_PostedToOneWorker_ReadScoredAndProbedOnTheOther()
    {
        using var client = new HttpClient { Timeout = Hang };
        await using WorkerCluster cluster = await WorkerCluster.StartAsync(2, client, "--StreamingClusters:Seeding:BufferSize=20");
        Uri posted = cluster.Workers[0].Address;
        Uri read = cluster.Workers[1].Address;

        // Not seeded: the grain answers, starting.
        using (HttpResponseMessage health = await client.GetAsync(new Uri(read, "/healthz")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            using JsonDocument answer = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
            Assert.Equal(("starting", -1L), (answer.RootElement.GetProperty("status").GetString(), answer.RootElement.GetProperty("version").GetInt64()));
            Assert.Equal([("default", "starting", -1L, 0L)], Models(answer));
        }

        string body = string.Concat(Enumerable.Range(0, 20).Select(i => FormattableString.Invariant($"{i % 2 * 10 + (i * 0.01)},{i % 2 * 10}\n")));
        using (HttpResponseMessage post = await client.PostAsync(new Uri(posted, "/points"), new StringContent(body, Encoding.UTF8, "text/csv")))
        {
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
            using JsonDocument answer = JsonDocument.Parse(await post.Content.ReadAsStringAsync());
            Assert.Equal(20, answer.RootElement.GetProperty("accepted").GetInt32());
        }

        using JsonDocument model = JsonDocument.Parse(await client.GetStringAsync(new Uri(read, "/model")));
        long version = model.RootElement.GetProperty("version").GetInt64();
        Assert.Equal((3, 20L), (model.RootElement.GetProperty("clusters").GetInt32(), model.RootElement.GetProperty("pointsApplied").GetInt64()));
        Assert.True(version >= 1, $"version {version}");

        using (HttpResponseMessage put = await client.PutAsync(
            new Uri(posted, "/models/other"), new StringContent("""{"Clusters":2,"Dimensions":2,"Seeding":{"BufferSize":6}}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using (HttpResponseMessage health = await client.GetAsync(new Uri(read, "/healthz")))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            using JsonDocument answer = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
            Assert.Equal(("ready", version), (answer.RootElement.GetProperty("status").GetString(), answer.RootElement.GetProperty("version").GetInt64()));
            Assert.Equal([("default", "ready", version, 20L), ("other", "starting", -1L, 0L)], Models(answer));
        }

        using (JsonDocument listed = JsonDocument.Parse(await client.GetStringAsync(new Uri(read, "/models"))))
        {
            JsonElement @default = listed.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "default");
            Assert.Equal((version, 20L), (@default.GetProperty("version").GetInt64(), @default.GetProperty("pointsApplied").GetInt64()));
        }

        using (HttpResponseMessage scored = await client.PostAsync(new Uri(read, "/score"), new StringContent("0,0\n10,10\n", Encoding.UTF8, "text/csv")))
        {
            Assert.Equal(HttpStatusCode.OK, scored.StatusCode);
            using JsonDocument answer = JsonDocument.Parse(await scored.Content.ReadAsStringAsync());
            Assert.Equal(version, answer.RootElement.GetProperty("version").GetInt64());
            Assert.Equal(2, answer.RootElement.GetProperty("results").GetArrayLength());
        }

        using (HttpResponseMessage stream = await client.GetAsync(new Uri(read, "/model/stream"), HttpCompletionOption.ResponseHeadersRead))
        {
            using var events = new StreamReader(await stream.Content.ReadAsStreamAsync());
            string? line;
            while ((line = await events.ReadLineAsync().WaitAsync(Hang)) is not null && !line.StartsWith("id: ", StringComparison.Ordinal))
            {
            }

            Assert.Equal($"id: {version}", line);
        }

        using (HttpResponseMessage post = await client.PostAsync(
            new Uri(posted, "/models/other/points"), new StringContent("0,0\n0,1\n1,0\n10,10\n10,11\n11,10\n", Encoding.UTF8, "text/csv")))
        {
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        }

        // The other worker, which ran none of it, exports both models as their grains persisted them (each
        // once: no pipeline of its own adds a series of default); its reading is at most a second old.
        Regex[] series =
        [
            Series("streamingclusters_points_applied_total", "default", 20),
            Series("streamingclusters_model_version", "default", version),
            Series("streamingclusters_model_seeded", "default", 1),
            Series("streamingclusters_points_applied_total", "other", 6),
            Series("streamingclusters_model_seeded", "other", 1),
            Series("streamingclusters_records_rejected_total", "other", 0),
        ];
        using var deadline = new CancellationTokenSource(Hang);
        string metrics = await client.GetStringAsync(new Uri(read, "/metrics"));
        while (!series.All(s => s.IsMatch(metrics)) && !deadline.IsCancellationRequested)
        {
            metrics = await client.GetStringAsync(new Uri(read, "/metrics"));
        }

        Assert.All(series, s => Assert.Matches(s, metrics));
        Assert.Single(Regex.Matches(metrics, "(?m)^streamingclusters_points_applied_total\\{[^}]*model=\"default\""));
    }

    [Fact]
    public async Task Worker_TopLevelSettingsDifferFromTheClustersDefault_RefusedNamingTheSetting()
    {
        using var client = new HttpClient { Timeout = Hang };
        await using WorkerCluster cluster = await WorkerCluster.StartAsync(1, client);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetTempPath(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "StreamingClusters.Worker.dll"), "--urls", "http://127.0.0.1:0", "--dimensions", "2", "--clusters", "4",
            "--cluster-redis", cluster.RedisEndpoint, "--silo-port", Port(), "--gateway-port", Port(),
        })
        {
            start.ArgumentList.Add(argument);
        }

        using Process worker = Process.Start(start)!;
        try
        {
            Task<string> error = worker.StandardError.ReadToEndAsync();
            Task<string> standardOutput = worker.StandardOutput.ReadToEndAsync();
            await worker.WaitForExitAsync().WaitAsync(Hang);

            Assert.Equal(2, worker.ExitCode);
            Assert.Contains(
                "Configuration refused: StreamingClusters:Clusters is 4 here, but the model 'default' in the cluster has 3: a model's settings do not change once it is made, so every worker must give the same.\n",
                await error,
                StringComparison.Ordinal);
            Assert.Equal(string.Empty, await standardOutput);
        }
        finally
        {
            if (!worker.HasExited)
            {
                worker.Kill();
            }
        }

        static string Port() => WorkerCluster.FreePort().ToString(CultureInfo.InvariantCulture);
    }

    private static Regex Series(string name, string model, long value) =>
        new($"(?m)^{Regex.Escape(name)}\\{{(?=[^}}]*model=\"{Regex.Escape(model)}\")[^}}]*\\}} {value}$");

    private static (string Name, string Status, long Version, long PointsApplied)[] Models(JsonDocument health) =>
    [
        .. health.RootElement.GetProperty("models").EnumerateArray().Select(m => (
            m.GetProperty("name").GetString()!,
            m.GetProperty("status").GetString()!,
            m.GetProperty("version").GetInt64(),
            m.GetProperty("pointsApplied").GetInt64())),
    ];
}
