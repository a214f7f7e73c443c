using System.Globalization;
using System.Text.Json;

namespace StreamingClusters.Worker.Tests.Mqtt;

/// <summary>The shipped profile config/sample-mqtt.json clusters readings shaped as the simulated sensors publish them.</summary>
public sealed class SampleMqttProfileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-mqtt-sample-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task SampleProfile_SensorReadingsOnTheirTopics_ClusteredOnTheSixColumnsAndPublishedRetained()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        string final = Path.Combine(_dir.FullName, "final.json");
        await using MqttWorker worker = await MqttWorker.StartAsync(
            _dir.FullName,
            "--config", Path.Combine(WorkerProcess.RepositoryRoot, "config", "sample-mqtt.json"),
            "--StreamingClusters:Sources:0:Broker=" + broker.Url, "--StreamingClusters:MqttPublish:Broker=" + broker.Url,
            "--StreamingClusters:Seeding:BufferSize=100", "--snapshot-out", final);
        await worker.LineAsync("MQTT plant-sensors: connected");

        await using TestClient sensors = await TestClient.ConnectAsync(broker, "test-sample-sensors");
        for (int i = 0; i < 500; i++)
        {
            int mode = i % 5;
            // As samples/SensorPublisher sends a row of samples/sensors.csv: every field, the machine's as text.
            await sensors.PublishAsync($"sensors/press-0{(i % 4) + 1}/readings", string.Create(
                CultureInfo.InvariantCulture,
                $$"""{"timestamp": {{1767225600 + i}}, "temperature": {{20 + (15 * mode)}}, "pressure": {{1 + mode}}, "vibration": {{0.1 * mode}}, "current": {{6 * mode}}, "flow": {{12 * mode}}, "rpm": {{700 * mode}}, "machine": "press-0{{(i % 4) + 1}}"}"""));
        }

        await worker.HealthUntilAsync(h => MqttWorker.Source(h).GetProperty("acknowledged").GetInt64() == 500);
        Assert.Equal(0, await worker.StopAsync());

        using JsonDocument snapshot = JsonDocument.Parse(await File.ReadAllBytesAsync(final));
        Assert.Equal(6, snapshot.RootElement.GetProperty("dimensions").GetInt32());
        Assert.Equal(5, snapshot.RootElement.GetProperty("clusters").GetInt32());
        Assert.Equal(500, snapshot.RootElement.GetProperty("pointsApplied").GetInt64());
        Assert.Equal("plant-sensors", snapshot.RootElement.GetProperty("sources")[0].GetProperty("name").GetString());
        using JsonDocument retained = JsonDocument.Parse(await broker.SubscribeOneAsync("streamingclusters/sample/model"));
        Assert.Equal(snapshot.RootElement.GetProperty("version").GetInt64(), retained.RootElement.GetProperty("version").GetInt64());
    }
}
