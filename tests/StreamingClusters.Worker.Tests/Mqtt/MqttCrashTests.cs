using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MQTTnet;
using Xunit.Abstractions;

namespace StreamingClusters.Worker.Tests.Mqtt;

/// <summary>
/// The worker SIGKILLed while readings stream in from a real mosquitto, then restarted from its
/// checkpoint: every published reading is applied at least once in the restored model's history, none is
/// lost, and the duplicates (readings a checkpoint held whose acknowledgement had not reached the broker)
/// are no more than the records the broker marked as redelivered.
/// </summary>
public sealed partial class MqttCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Readings = 6000;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-mqtt-crash-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Kill_WorkerMidStreamThenRestart_EveryReadingAppliedAtLeastOnceDuplicatesCounted()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync();
        string checkpoint = Path.Combine(_dir.FullName, "model.ckpt");
        string final = Path.Combine(_dir.FullName, "final.json");
        string[] common =
        [
            "--mqtt-broker", broker.Url, "--mqtt-topic", "sensors/m1", "--clusters", "2", "--columns", "seq,x", "--seed", "7",
            "--batch-size", "500", "--checkpoint", checkpoint, "--checkpoint-interval", "0", "--StreamingClusters:Seeding:BufferSize=50",
        ];

        MqttWorker first = await MqttWorker.StartAsync(_dir.FullName, common);
        await first.LineAsync("MQTT mqtt-0: connected");

        // One publisher on one topic: the broker delivers the readings in the order published, so the
        // source's message n is reading n.
        await using TestClient sensors = await TestClient.ConnectAsync(broker, "test-sensors");
        Task publishing = Task.Run(async () =>
        {
            for (int seq = 1; seq <= Readings; seq++)
            {
                await sensors.PublishAsync("sensors/m1", string.Create(CultureInfo.InvariantCulture, $$"""{"seq": {{seq}}, "x": {{seq % 2 * 1000}}}"""));
            }
        });

        // Mid-stream: a checkpoint holds the first thousand or more, and readings are still arriving.
        await first.HealthUntilAsync(h => MqttWorker.Source(h).GetProperty("acknowledged").GetInt64() >= 1000);
        await first.KillAsync();
        await first.DisposeAsync();
        (long position, long appliedAtCheckpoint) = CheckpointedPosition(checkpoint);
        Assert.Equal(position, appliedAtCheckpoint);

        // The restarted worker publishes its assignments: with the checkpoint's readings 1..position, they
        // are the restored model's history. Batches of 500 make a dozen blocks or so, well within what an
        // assignment subscriber may fall behind (64 blocks) before blocks are dropped for it.
        var applied = new List<int>();
        var lineage = new bool[Readings + 1];
        int covered = 0;
        var complete = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var arrived = new SemaphoreSlim(0);
        for (int seq = 1; seq <= position; seq++)
        {
            lineage[seq] = true;
        }

        covered = (int)position;
        if (covered == Readings)
        {
            // The checkpoint at the kill held every reading already.
            complete.TrySetResult();
        }
        await using TestClient watcher = await TestClient.ConnectAsync(broker, "test-watcher", message =>
        {
            using JsonDocument block = JsonDocument.Parse(Encoding.UTF8.GetString(message.Payload));
            lock (applied)
            {
                foreach (JsonElement point in block.RootElement.GetProperty("points").EnumerateArray())
                {
                    int seq = (int)point[0].GetSingle();
                    applied.Add(seq);
                    if (!lineage[seq])
                    {
                        lineage[seq] = true;
                        if (++covered == Readings)
                        {
                            complete.TrySetResult();
                        }
                    }
                }
            }

            arrived.Release();
            return Task.CompletedTask;
        });
        await watcher.SubscribeAsync("out/assignments");
        await using MqttWorker second = await MqttWorker.StartAsync(
            _dir.FullName,
            [.. common, "--StreamingClusters:MqttPublish:Broker=" + broker.Url, "--StreamingClusters:MqttPublish:AssignmentTopic=out/assignments",
             "--StreamingClusters:MqttPublish:EventTopic=", "--snapshot-out", final]);
        string restored = await second.LineAsync("Restored the checkpoint");
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{appliedAtCheckpoint} points applied"), restored, StringComparison.Ordinal);
        await publishing;
        if (await Task.WhenAny(complete.Task, Task.Delay(TimeSpan.FromMinutes(2))) != complete.Task)
        {
            JsonElement health = await second.HealthUntilAsync(_ => true);
            int[] missing;
            lock (applied)
            {
                missing = [.. Enumerable.Range(1, Readings).Where(seq => !lineage[seq])];
            }

            Assert.Fail($"{missing.Length} readings never applied after the restart (checkpoint at {position}), first {string.Join(",", missing.Take(20))}; /healthz {health}\n{second.Output}");
        }

        Assert.Equal(0, await second.StopAsync());
        Match stopped = Stopped().Match(await second.LineAsync("MQTT mqtt-0: stopped"));
        long redeliveredRecords = long.Parse(stopped.Groups["records"].Value, CultureInfo.InvariantCulture);
        using JsonDocument snapshot = JsonDocument.Parse(await File.ReadAllBytesAsync(final));
        JsonElement source = snapshot.RootElement.GetProperty("sources")[0];
        long appliedFinal = source.GetProperty("applied").GetInt64();
        // The last assignments went out as the worker stopped: wait until they have all arrived.
        while (true)
        {
            lock (applied)
            {
                if (appliedAtCheckpoint + applied.Count >= appliedFinal)
                {
                    break;
                }
            }

            Assert.True(await arrived.WaitAsync(TimeSpan.FromMinutes(1)), "The stopped worker's last assignments never arrived.");
        }

        int[] afterRestart;
        lock (applied)
        {
            afterRestart = [.. applied];
        }

        // None lost: every reading is in the restored model's history (checked as the gate above).
        Assert.Equal(Readings, covered);
        // The accounting agrees with the readings seen: the checkpoint's, then each one applied since.
        Assert.Equal(appliedAtCheckpoint + afterRestart.Length, appliedFinal);
        Assert.Equal(source.GetProperty("received").GetInt64(), appliedFinal + source.GetProperty("rejected").GetInt64());
        // Duplicates are readings the checkpoint held that came again, no more than the redelivered records.
        long duplicates = appliedFinal - Readings;
        int[] times = new int[Readings + 1];
        foreach (int seq in afterRestart)
        {
            times[seq]++;
        }

        long seenTwice = Enumerable.Range(1, Readings).Sum(seq => Math.Max(0, times[seq] + (seq <= position ? 1 : 0) - 1));
        Assert.Equal(duplicates, seenTwice);
        Assert.InRange(duplicates, 0, redeliveredRecords);
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"checkpoint at the kill held readings 1..{position}; {afterRestart.Length} applied after the restart; {duplicates} duplicates; {redeliveredRecords} records redelivered ({stopped.Groups["messages"].Value} messages)"));
    }

    /// <summary>The MQTT source's position and applied points in a checkpoint file.</summary>
    private static (long Position, long Applied) CheckpointedPosition(string path)
    {
        using JsonDocument file = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement source = file.RootElement.GetProperty("checkpoint").GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "mqtt-0");
        return (source.GetProperty("position").GetInt64(), source.GetProperty("applied").GetInt64());
    }

    [GeneratedRegex(@"\((?<messages>\d+) redelivered, holding (?<records>\d+) records\)")]
    private static partial Regex Stopped();
}
