using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace StreamingClusters.Worker.Tests.Mqtt;

/// <summary>
/// The MQTT source's flow control against a real mosquitto (2.0.11 sends a reconnecting session's queue
/// past the receive maximum asked for): a backlog larger than the window never puts more than the window
/// in the worker unacknowledged, by the source's own count; reads paused for longer than the keep-alive
/// keep the connection (the pings are answered while paused). The gates are the worker's counters.
/// </summary>
public sealed partial class MqttFlowControlTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-mqtt-flow-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Backlog_LargerThanTheWindow_NeverMoreThanTheWindowHeldUnacknowledgedAndEveryMessageApplied()
    {
        const int Window = 100;
        const int Backlog = 3000;
        await using Mosquitto broker = await Mosquitto.StartAsync();
        string final = Path.Combine(_dir.FullName, "final.json");
        string[] args =
        [
            "--mqtt-broker", broker.Url, "--mqtt-topic", "sensors/#", "--mqtt-client-id", "flow-backlog", "--clusters", "2", "--seed", "7",
            "--checkpoint", Path.Combine(_dir.FullName, "model.ckpt"), "--checkpoint-interval", "0", "--snapshot-out", final,
            "--StreamingClusters:Seeding:BufferSize=32", $"--StreamingClusters:Sources:0:MaxUnacknowledged={Window}",
        ];
        await QueueWhileAwayAsync(broker, args, Backlog);

        await using MqttWorker worker = await MqttWorker.StartAsync(_dir.FullName, args);
        JsonElement done = await worker.HealthUntilAsync(h => MqttWorker.Source(h).GetProperty("acknowledged").GetInt64() == Backlog);
        Assert.Equal(0, await worker.StopAsync());

        Stopped stopped = Stopped.From(worker.Output);
        Assert.Equal(Backlog, stopped.Messages);
        Assert.Equal(Window, stopped.Window);
        // The window was reached (reads paused) and never passed.
        Assert.True(stopped.Pauses >= 1, worker.Output);
        Assert.Equal(Window, stopped.MostHeld);
        Assert.Equal(0, MqttWorker.Source(done).GetProperty("reconnects").GetInt64());
        Assert.Equal(Window, MqttWorker.Source(done).GetProperty("window").GetInt32());
        Assert.InRange(MqttWorker.Source(done).GetProperty("unacknowledged").GetInt64(), 0, Window);
        Assert.True(MqttWorker.Source(done).GetProperty("readPauses").GetInt64() >= 1);
        using JsonDocument snapshot = JsonDocument.Parse(await File.ReadAllBytesAsync(final));
        Assert.Equal(Backlog, snapshot.RootElement.GetProperty("sources")[0].GetProperty("applied").GetInt64());
    }

    [Fact]
    public async Task ReadsPausedLongerThanTheKeepAlive_PingsAnsweredWhilePausedAndTheConnectionKept()
    {
        // A 1 s keep-alive, and acknowledgements only every 3 s (a checkpoint each): MQTTnet pings while
        // the reads wait for the window, and would drop the connection if the ping waited for the broker's
        // PINGRESP, which comes behind the messages not read.
        const int Window = 40;
        const int Backlog = 120;
        await using Mosquitto broker = await Mosquitto.StartAsync();
        string[] args =
        [
            "--mqtt-broker", broker.Url, "--mqtt-topic", "sensors/#", "--mqtt-client-id", "flow-ping", "--clusters", "2", "--seed", "7",
            "--checkpoint", Path.Combine(_dir.FullName, "model.ckpt"), "--checkpoint-interval", "3s",
            "--StreamingClusters:Seeding:BufferSize=16", $"--StreamingClusters:Sources:0:MaxUnacknowledged={Window}",
            "--StreamingClusters:Sources:0:KeepAlive=1s",
        ];
        await QueueWhileAwayAsync(broker, args, Backlog);

        await using MqttWorker worker = await MqttWorker.StartAsync(_dir.FullName, args);
        JsonElement done = await worker.HealthUntilAsync(h => MqttWorker.Source(h).GetProperty("acknowledged").GetInt64() == Backlog);
        Assert.Equal(0, await worker.StopAsync());

        Stopped stopped = Stopped.From(worker.Output);
        Assert.True(stopped.PingsAnswered >= 1, worker.Output);
        Assert.InRange(stopped.MostHeld, 1, Window);
        Assert.Equal(0, MqttWorker.Source(done).GetProperty("reconnects").GetInt64());
        Assert.DoesNotContain("MQTT mqtt-0: disconnected", worker.Output, StringComparison.Ordinal);
        Assert.Equal(Backlog, stopped.Messages);
    }

    [Fact]
    public async Task Start_KeepAliveZero_RefusedNamingTheSetting()
    {
        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--mqtt-broker", "mqtt://127.0.0.1:1883", "--mqtt-topic", "a/#", "--StreamingClusters:Sources:0:KeepAlive=0s");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("StreamingClusters:Sources:0:KeepAlive must be between 1s and 65535s", run.Error, StringComparison.Ordinal);
    }

    /// <summary>Makes the worker's session (a first start), then publishes <paramref name="messages"/> readings while it is away.</summary>
    private async Task QueueWhileAwayAsync(Mosquitto broker, string[] args, int messages)
    {
        await using (MqttWorker first = await MqttWorker.StartAsync(_dir.FullName, args))
        {
            await first.LineAsync("MQTT mqtt-0: connected");
            Assert.Equal(0, await first.StopAsync());
        }

        await using TestClient sensors = await TestClient.ConnectAsync(broker, "test-backlog");
        for (int i = 0; i < messages; i++)
        {
            await sensors.PublishAsync($"sensors/m{i % 4}", string.Create(CultureInfo.InvariantCulture, $"[{i % 2 * 10}, {i % 5}]"));
        }
    }

    [GeneratedRegex(@"MQTT mqtt-0: stopped; (\d+) messages received .* at most (\d+) held unacknowledged at once \(window (\d+)\); reads paused (\d+) times, (\d+) keep-alive pings answered while paused")]
    private static partial Regex StoppedLine();

    /// <summary>The source's counters, from the line it logs when it stops.</summary>
    private sealed record Stopped(long Messages, long MostHeld, long Window, long Pauses, long PingsAnswered)
    {
        public static Stopped From(string output)
        {
            Match line = StoppedLine().Match(output);
            Assert.True(line.Success, output);
            long Group(int g) => long.Parse(line.Groups[g].Value, CultureInfo.InvariantCulture);
            return new Stopped(Group(1), Group(2), Group(3), Group(4), Group(5));
        }
    }
}
