using System.Globalization;
using System.Text.Json;

namespace StreamingClusters.Worker.Tests.Mqtt;

/// <summary>
/// The real worker against a real mosquitto: every record of every message is applied or rejected,
/// exactly; the retained snapshot can be read with mosquitto_sub; a broker restarted under the worker is
/// reconnected to, and the stream goes on.
/// </summary>
public sealed class MqttSourceTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-mqtt-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Run_GoodBadAndBatchedMessages_RecordsInEqualAppliedPlusRejectedExactly()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        string dead = Path.Combine(_dir.FullName, "dead.jsonl");
        string final = Path.Combine(_dir.FullName, "final.json");
        await using MqttWorker worker = await MqttWorker.StartAsync(
            _dir.FullName,
            "--mqtt-broker", broker.Url, "--mqtt-topic", "sensors/#", "--mqtt-publish", "plant/model",
            "--clusters", "2", "--columns", "a,b", "--seed", "7", "--batch-size", "64",
            "--StreamingClusters:Seeding:BufferSize=32", "--dead-letter", dead, "--snapshot-out", final);
        await worker.LineAsync("MQTT mqtt-0: connected");

        await using TestClient sensors = await TestClient.ConnectAsync(broker, "test-sensors");
        int messages = 0;
        for (int i = 0; i < 400; i++, messages++)
        {
            // One reading per message, a topic per machine.
            await sensors.PublishAsync($"sensors/m{i % 4}", string.Create(CultureInfo.InvariantCulture, $$"""{"a": {{i % 2 * 10 + (i % 7)}}, "b": {{i % 3}}, "machine": "m{{i % 4}}"}"""));
        }

        for (int i = 0; i < 20; i++, messages++)
        {
            // A batch of ten: nine good readings and one whose field is not a number.
            string[] batch = [.. Enumerable.Range(0, 9).Select(j => string.Create(CultureInfo.InvariantCulture, $$"""{"a": {{j}}, "b": {{i}}}""")), """{"a": "hot", "b": 1}"""];
            await sensors.PublishAsync("sensors/batch", "[" + string.Join(",", batch) + "]");
        }

        foreach (string broken in new[] { "garbage", "{\"a\": 1", "", "   ", "[]", """{"a": 1}""", """{"a": 1e39, "b": 0}""" })
        {
            await sensors.PublishAsync("sensors/broken", broken);
            messages++;
        }

        const long good = 400 + (20 * 9);
        const long bad = 20 + 7;
        await worker.HealthUntilAsync(h => MqttWorker.Source(h).GetProperty("acknowledged").GetInt64() == messages);

        Assert.Equal(0, await worker.StopAsync());
        using JsonDocument snapshot = JsonDocument.Parse(await File.ReadAllBytesAsync(final));
        JsonElement source = snapshot.RootElement.GetProperty("sources")[0];
        Assert.Equal("mqtt-0", source.GetProperty("name").GetString());
        Assert.Equal(good + bad, source.GetProperty("received").GetInt64());
        Assert.Equal(good, source.GetProperty("applied").GetInt64());
        Assert.Equal(bad, source.GetProperty("rejected").GetInt64());
        Assert.Equal(0, source.GetProperty("inFlight").GetInt64());
        string[] rejections = await File.ReadAllLinesAsync(dead);
        Assert.Equal(bad, rejections.Length);
        Assert.All(rejections, r => Assert.Contains("(topic 'sensors/", r, StringComparison.Ordinal));

        // The final snapshot is retained on the broker: a late subscriber gets it at once.
        using JsonDocument retained = JsonDocument.Parse(await broker.SubscribeOneAsync("plant/model"));
        Assert.True(retained.RootElement.GetProperty("isFinal").GetBoolean());
        Assert.Equal(good, retained.RootElement.GetProperty("pointsApplied").GetInt64());
        Assert.Equal(snapshot.RootElement.GetProperty("version").GetInt64(), retained.RootElement.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task BrokerRestart_UnderARunningWorker_DegradedWhileAwayThenReconnectsAndGoesOn()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        string final = Path.Combine(_dir.FullName, "final.json");
        await using MqttWorker worker = await MqttWorker.StartAsync(
            _dir.FullName,
            "--mqtt-broker", broker.Url, "--mqtt-topic", "sensors/+", "--clusters", "2", "--seed", "7",
            "--checkpoint", Path.Combine(_dir.FullName, "model.ckpt"), "--checkpoint-interval", "0",
            "--StreamingClusters:Seeding:BufferSize=16", "--StreamingClusters:Sources:0:ReconnectDelay=200ms", "--StreamingClusters:Sources:0:MaxReconnectDelay=500ms",
            "--snapshot-out", final);
        await worker.LineAsync("MQTT mqtt-0: connected");
        await using (TestClient before = await TestClient.ConnectAsync(broker, "test-before"))
        {
            for (int i = 0; i < 100; i++)
            {
                await before.PublishAsync("sensors/m1", string.Create(CultureInfo.InvariantCulture, $"[{i % 2 * 10}, {i % 5}]"));
            }
        }

        await worker.HealthUntilAsync(h => MqttWorker.Source(h).GetProperty("acknowledged").GetInt64() == 100);

        await broker.StopAsync();
        await worker.LineAsync("MQTT mqtt-0: disconnected");
        JsonElement away = await worker.HealthUntilAsync(h => !MqttWorker.Source(h).GetProperty("connected").GetBoolean());
        Assert.Equal("degraded", away.GetProperty("status").GetString());
        Assert.NotNull(MqttWorker.Source(away).GetProperty("lastError").GetString());

        await broker.RestartAsync();
        await worker.LineAsync("MQTT mqtt-0: connected", occurrence: 2);
        JsonElement back = await worker.HealthUntilAsync(h => MqttWorker.Source(h).GetProperty("connected").GetBoolean());
        Assert.Equal("ready", back.GetProperty("status").GetString());
        Assert.True(MqttWorker.Source(back).GetProperty("reconnects").GetInt64() >= 1);
        await using (TestClient after = await TestClient.ConnectAsync(broker, "test-after"))
        {
            for (int i = 0; i < 100; i++)
            {
                await after.PublishAsync("sensors/m2", string.Create(CultureInfo.InvariantCulture, $"[{i % 2 * 10}, {i % 5}]"));
            }
        }

        JsonElement done = await worker.HealthUntilAsync(h => MqttWorker.Source(h).GetProperty("acknowledged").GetInt64() >= 200);

        Assert.Equal(0, await worker.StopAsync());
        using JsonDocument snapshot = JsonDocument.Parse(await File.ReadAllBytesAsync(final));
        JsonElement source = snapshot.RootElement.GetProperty("sources")[0];
        long received = source.GetProperty("received").GetInt64();
        Assert.Equal(received, source.GetProperty("applied").GetInt64() + source.GetProperty("rejected").GetInt64());
        Assert.Equal(0, source.GetProperty("rejected").GetInt64());
        // Every reading at least once; more only by messages the broker sent again after the restart.
        Assert.InRange(received - 200, 0, MqttWorker.Source(done).GetProperty("redeliveredRecords").GetInt64());
    }

    [Fact]
    public async Task Run_MoreReadingsThanTheWindow_CheckpointedInThePauseAndTheRestDelivered()
    {
        // The broker sends at most MaxUnacknowledged messages before it has their acknowledgements, and
        // they are acknowledged only once a checkpoint holds them: the pause that follows a full window
        // must bring that checkpoint (here 3 s after the last), or the stream would stall for good.
        await using Mosquitto broker = await Mosquitto.StartAsync();
        await using MqttWorker worker = await MqttWorker.StartAsync(
            _dir.FullName,
            "--mqtt-broker", broker.Url, "--mqtt-topic", "sensors/#", "--clusters", "2", "--seed", "7",
            "--checkpoint", Path.Combine(_dir.FullName, "model.ckpt"), "--checkpoint-interval", "3s",
            "--StreamingClusters:Sources:0:MaxUnacknowledged=1000");
        await worker.LineAsync("MQTT mqtt-0: connected");
        await using TestClient sensors = await TestClient.ConnectAsync(broker, "test-window");
        for (int i = 0; i < 2500; i++)
        {
            await sensors.PublishAsync("sensors/m1", string.Create(CultureInfo.InvariantCulture, $"[{i % 2 * 10}, {i % 5}]"));
        }

        JsonElement done = await worker.HealthUntilAsync(h => MqttWorker.Source(h).GetProperty("acknowledged").GetInt64() == 2500);

        Assert.Equal(2500, MqttWorker.Source(done).GetProperty("messages").GetInt64());
    }

    [Fact]
    public async Task Start_BrokerNotAnMqttAddress_RefusedNamingTheSetting()
    {
        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--mqtt-broker", "http://127.0.0.1:1883", "--mqtt-topic", "a/#");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("StreamingClusters:Sources:0:Broker 'http://127.0.0.1:1883' is not a broker address: give mqtt://HOST:PORT, or mqtts://HOST:PORT for TLS.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_TopicFilterWithMisplacedWildcard_RefusedNamingTheSetting()
    {
        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--mqtt-broker", "mqtt://127.0.0.1:1883", "--mqtt-topic", "a/#/b");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("StreamingClusters:Sources:0:Topics:0 'a/#/b' is not a topic filter", run.Error, StringComparison.Ordinal);
    }
}
