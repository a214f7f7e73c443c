using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace StreamingClusters.Cluster.Tests.Hosting;

/// <summary>The worker as a process: cluster mode off loads no Orleans; a bad cluster setting is refused by name.</summary>
public sealed partial class WorkerProcessTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    private static string WorkerDll => Path.Combine(AppContext.BaseDirectory, "StreamingClusters.Worker.dll");

    [Fact]
    public async Task Worker_WithoutClusterSettings_LoadsNoOrleansAssembly()
    {
        using Process worker = Start("--urls", "http://127.0.0.1:0", "--dimensions", "2", "--clusters", "2");
        var output = new StringBuilder();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        worker.ErrorDataReceived += (_, e) => Collect(e.Data);
        worker.OutputDataReceived += (_, e) => Collect(e.Data);
        worker.BeginErrorReadLine();
        worker.BeginOutputReadLine();
        try
        {
            await listening.Task.WaitAsync(Hang);
            string[] orleans = [.. File.ReadLines($"/proc/{worker.Id}/maps").Where(l => l.Contains("/Orleans.", StringComparison.Ordinal)).Select(l => l[(l.LastIndexOf(' ') + 1)..]).Distinct()];

            Assert.Empty(orleans);
        }
        finally
        {
            worker.Kill();
            await worker.WaitForExitAsync();
        }

        void Collect(string? line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }

            if (line is not null && Listening().IsMatch(line))
            {
                listening.TrySetResult();
            }
        }
    }

    [Fact]
    public async Task Worker_RedisWithoutPort_RefusedNamingTheSetting()
    {
        using Process worker = Start("--urls", "http://127.0.0.1:0", "--dimensions", "2", "--cluster-redis", "localhost", "--silo-port", "11111", "--gateway-port", "11111");
        Task<string> error = worker.StandardError.ReadToEndAsync();
        Task<string> standardOutput = worker.StandardOutput.ReadToEndAsync();
        await worker.WaitForExitAsync().WaitAsync(Hang);

        Assert.Equal(2, worker.ExitCode);
        Assert.Equal(
            "Configuration refused: StreamingClusters:Cluster:Redis must be HOST:PORT with a port in 1–65535, got 'localhost'.\n"
            + "Configuration refused: StreamingClusters:Cluster:GatewayPort must be in 1–65535 and differ from SiloPort, got 11111.\n",
            await error);
        Assert.Equal(string.Empty, await standardOutput);
    }

    [Fact]
    public async Task Worker_RedisWithoutUrls_RefusedNamingBothSettings()
    {
        string input = Path.Combine(Path.GetTempPath(), $"streaming-clusters-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(input, "0.1,0.2\n");
        try
        {
            using Process worker = Start("--input", input, "--dimensions", "2", "--cluster-redis", "127.0.0.1:6379");
            Task<string> error = worker.StandardError.ReadToEndAsync();
            Task<string> standardOutput = worker.StandardOutput.ReadToEndAsync();
            await worker.WaitForExitAsync().WaitAsync(Hang);

            Assert.Equal(2, worker.ExitCode);
            Assert.Equal(
                "Configuration refused: StreamingClusters:Cluster:Redis (--cluster-redis) needs Urls (--urls): cluster mode serves its named models over HTTP only.\n",
                await error);
            Assert.Equal(string.Empty, await standardOutput);
        }
        finally
        {
            File.Delete(input);
        }
    }

    [Fact]
    public async Task Worker_ADeclaredModelClusterModeRefuses_ConfigurationRefusedNamingTheSetting()
    {
        await using RedisServer redis = await RedisServer.StartAsync();
        using Process worker = Start(
            new Dictionary<string, string> { ["StreamingClusters__Models__batched__BatchSize"] = "100" },
            "--urls", "http://127.0.0.1:0", "--dimensions", "2", "--cluster-redis", redis.Endpoint,
            "--silo-port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gateway-port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Task<string> error = worker.StandardError.ReadToEndAsync();
        Task<string> standardOutput = worker.StandardOutput.ReadToEndAsync();
        await worker.WaitForExitAsync().WaitAsync(Hang);

        Assert.Equal(2, worker.ExitCode);
        Assert.Contains("Configuration refused: StreamingClusters:Models:batched:BatchSize is not taken in cluster mode.\n", await error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, await standardOutput);
    }

    [Fact]
    public async Task Worker_ClusterModeWithTheSettingsOfAProcesssOwnRun_RefusedNamingEachSetting()
    {
        // Refused before the silo starts: nothing listens on the Redis port.
        string dir = Directory.CreateTempSubdirectory("sc-cluster-refused-").FullName;
        try
        {
            using Process worker = Start(
                new Dictionary<string, string> { ["StreamingClusters__Sources__plant__Path"] = Path.Combine(dir, "plant.csv") },
                "--urls", "http://127.0.0.1:0", "--cluster-redis", "127.0.0.1:1", "--input", Path.Combine(dir, "in.csv"),
                "--checkpoint", Path.Combine(dir, "model.ckpt"), "--fresh", "--snapshot-out", Path.Combine(dir, "model.json"), "--dead-letter", Path.Combine(dir, "dead.jsonl"),
                "--StreamingClusters:Seeding:IdleTimeout=5s", "--batch-size", "100", "--parallelism", "1");
            Task<string> error = worker.StandardError.ReadToEndAsync();
            Task<string> standardOutput = worker.StandardOutput.ReadToEndAsync();
            await worker.WaitForExitAsync().WaitAsync(Hang);

            Assert.Equal(2, worker.ExitCode);
            Assert.Equal(
                "Configuration refused: StreamingClusters:Dimensions must be set in cluster mode (every silo E-steps against the same d from the first point on).\n"
                + "Configuration refused: StreamingClusters:Seeding:IdleTimeout is not taken in cluster mode.\n"
                + "Configuration refused: StreamingClusters:Sources:plant is not read in cluster mode (a source resumes from a position of this process's own, which no model grain holds): "
                + "post its points to /points (the model default) or /models/{name}/points of any worker.\n"
                + "Configuration refused: StreamingClusters:Checkpoint:Path (--checkpoint) is not written in cluster mode: every model's state, the model default's too, is in the cluster's Redis.\n"
                + "Configuration refused: StreamingClusters:Checkpoint:StartFresh (--fresh) is not honoured in cluster mode: the model default's state is the cluster's, in Redis, and goes on.\n"
                + "Configuration refused: StreamingClusters:SnapshotPath (--snapshot-out) is not written in cluster mode: GET /model gives the model default's snapshot on any worker.\n"
                + "Configuration refused: StreamingClusters:DeadLetterPath (--dead-letter) is not written in cluster mode: a worker logs the records it rejects and counts them in the model's pointsRejected.\n"
                + "Configuration refused: --input is not read in cluster mode (a file resumes from a position of this process's own, which no model grain holds): "
                + "post its points to /points (the model default) or /models/{name}/points of any worker.\n",
                await error);
            Assert.Equal(string.Empty, await standardOutput);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Worker_ClusterModeWithAnMqttSubscriptionAndPublisher_RefusedNamingBoth()
    {
        using Process worker = Start(
            "--urls", "http://127.0.0.1:0", "--cluster-redis", "127.0.0.1:1", "--dimensions", "2",
            "--mqtt-broker", "mqtt://127.0.0.1:1", "--mqtt-topic", "sensors/#", "--mqtt-publish", "plant/model");
        Task<string> error = worker.StandardError.ReadToEndAsync();
        Task<string> standardOutput = worker.StandardOutput.ReadToEndAsync();
        await worker.WaitForExitAsync().WaitAsync(Hang);

        Assert.Equal(2, worker.ExitCode);
        Assert.Equal(
            "Configuration refused: StreamingClusters:Sources:0 is not read in cluster mode (an MQTT subscription resumes from a position of this process's own, which no model grain holds): "
            + "post its points to /points (the model default) or /models/{name}/points of any worker.\n"
            + "Configuration refused: StreamingClusters:MqttPublish (--mqtt-publish) is not published in cluster mode (every worker would publish the one model): follow GET /model/stream of any worker.\n",
            await error);
        Assert.Equal(string.Empty, await standardOutput);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Process Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    private static Process Start(Dictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetTempPath(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach ((string key, string value) in environment)
        {
            start.Environment[key] = value;
        }

        start.ArgumentList.Add(WorkerDll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    [GeneratedRegex("HTTP listening on http://")]
    private static partial Regex Listening();
}
