// Throughput from a real mosquitto, alternating in one run:
//   ceiling  a bare MQTTnet subscriber (QoS 1, acknowledging each message at once, 1 MiB socket buffer)
//   worker   the real worker process (QoS 1, persistent session, acknowledged once a checkpoint holds them)
// for one reading per message and for batches (a JSON array of readings per message). Before each run the
// messages are queued in the subscriber's session while it is away, so the broker delivers as fast as it
// can and the publisher is not what is measured. The worker's resident memory is sampled while the
// broker is ahead of the model.
//
//   dotnet run --project tests/StreamingClusters.Mqtt.Throughput -c Release -- [readings] [rounds]
// (readings for one reading per message; batches of 100 carry five times as many; a third argument, 1 or
// 100, runs only that shape; further arguments go to the worker, e.g. --StreamingClusters:Sources:0:MaxUnacknowledged=10000).
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;
using StreamingClusters.Worker.Tests.Mqtt;

int readings = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
int[] shapes = args.Length > 2 ? [int.Parse(args[2], CultureInfo.InvariantCulture)] : [1, 100];
string[] extra = args.Length > 3 ? args[3..] : [];
await using Mosquitto broker = await Mosquitto.StartAsync();
Console.WriteLine($"mosquitto on port {broker.Port}; {readings:N0} readings per run of one per message, {readings * 5:N0} of batches; {Environment.ProcessorCount} cores; load: {File.ReadAllText("/proc/loadavg").Trim()}");
string workerDll = Path.Combine(AppContext.BaseDirectory, "StreamingClusters.Worker.dll");
DirectoryInfo dir = Directory.CreateTempSubdirectory("sc-mqtt-throughput-");
var results = new List<string>();
try
{
    for (int round = 1; round <= rounds; round++)
    {
        foreach (int perMessage in shapes)
        {
            int points = perMessage == 1 ? readings : readings * 5;
            int messages = points / perMessage;
            double ceiling = await CeilingAsync(broker, messages, perMessage, round);
            Report("ceiling", perMessage, points, ceiling, null);
            (double worker, string memory) = await WorkerAsync(broker, workerDll, dir.FullName, messages, perMessage, round, extra);
            Report("worker", perMessage, points, worker, memory);
        }
    }
}
finally
{
    dir.Delete(recursive: true);
}

Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
return 0;

void Report(string who, int perMessage, int points, double seconds, string? memory)
{
    string line = string.Create(CultureInfo.InvariantCulture, $"{who,-8} {(perMessage == 1 ? "1 reading/message" : $"{perMessage} readings/message"),-22} {points / seconds,12:N0} points/s  {points / perMessage / seconds,10:N0} messages/s  ({seconds:F2} s){(memory is null ? string.Empty : "  " + memory)}");
    Console.WriteLine(line);
}

// Queues messages for a session that is away: the client connects once to make the session, leaves, and the readings are published.
static async Task PreloadAsync(Mosquitto broker, int messages, int perMessage, int round)
{
    using IMqttClient publisher = new MqttClientFactory().CreateMqttClient();
    await publisher.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithClientId("throughput-publisher").Build());
    var window = new List<Task>(1000);
    var random = new Random(round);
    for (int m = 0; m < messages; m++)
    {
        var payload = new StringBuilder();
        if (perMessage > 1)
        {
            payload.Append('[');
        }

        for (int r = 0; r < perMessage; r++)
        {
            int mode = random.Next(5);
            payload.Append(r == 0 ? string.Empty : ",").Append(CultureInfo.InvariantCulture, $$"""{"temperature": {{20 + (15 * mode) + random.NextDouble():F2}}, "pressure": {{1 + mode + random.NextDouble():F3}}, "vibration": {{0.05 + (0.5 * mode * random.NextDouble()):F4}}, "current": {{0.5 + (6 * mode) + random.NextDouble():F3}}, "flow": {{12 * mode * random.NextDouble():F3}}, "rpm": {{700 * mode + (10 * random.NextDouble()):F1}}}""");
        }

        if (perMessage > 1)
        {
            payload.Append(']');
        }

        window.Add(publisher.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic($"sensors/press-{m % 4:00}/readings")
            .WithPayload(Encoding.UTF8.GetBytes(payload.ToString()))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build()));
        if (window.Count == 1000)
        {
            await Task.WhenAll(window);
            window.Clear();
        }
    }

    await Task.WhenAll(window);
    await publisher.DisconnectAsync();
}

static async Task<double> CeilingAsync(Mosquitto broker, int messages, int perMessage, int round)
{
    string clientId = $"throughput-ceiling-{round}-{perMessage}";
    MqttClientOptions Options() => WithBuffer(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithClientId(clientId)
        .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithCleanStart(false).WithSessionExpiryInterval(3600).Build());
    using (IMqttClient first = new MqttClientFactory().CreateMqttClient())
    {
        await first.ConnectAsync(Options());
        await first.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("sensors/#", MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await first.DisconnectAsync();
    }

    await PreloadAsync(broker, messages, perMessage, round);
    using IMqttClient client = new MqttClientFactory().CreateMqttClient();
    int received = 0;
    var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    client.ApplicationMessageReceivedAsync += e =>
    {
        // Touch the payload as a consumer would, and let the client acknowledge at once.
        _ = e.ApplicationMessage.Payload.Length;
        if (Interlocked.Increment(ref received) == messages)
        {
            all.TrySetResult();
        }

        return Task.CompletedTask;
    };
    var clock = Stopwatch.StartNew();
    await client.ConnectAsync(Options());
    await all.Task.WaitAsync(TimeSpan.FromMinutes(10));
    double seconds = clock.Elapsed.TotalSeconds;
    await client.DisconnectAsync();
    return seconds;
}

static MqttClientOptions WithBuffer(MqttClientOptions options)
{
    ((MqttClientTcpOptions)options.ChannelOptions).BufferSize = 1 << 20;
    return options;
}

static async Task<(double Seconds, string Memory)> WorkerAsync(Mosquitto broker, string workerDll, string directory, int messages, int perMessage, int round, string[] extra)
{
    string clientId = $"throughput-worker-{round}-{perMessage}";
    string[] args =
    [
        workerDll, "--mqtt-broker", broker.Url, "--mqtt-topic", "sensors/#", "--mqtt-client-id", clientId, "--clusters", "5",
        "--columns", "temperature,pressure,vibration,current,flow,rpm", "--checkpoint", Path.Combine(directory, clientId + ".ckpt"),
        "--checkpoint-interval", "1s", "--urls", "http://127.0.0.1:0", .. extra,
    ];

    // A first start makes the session (and its subscription), then the readings are queued for it.
    await using (var maker = await WorkerRun.StartAsync(args))
    {
        await maker.StopAsync();
    }

    await PreloadAsync(broker, messages, perMessage, round);
    await using WorkerRun run = await WorkerRun.StartAsync(args);
    var clock = Stopwatch.StartNew();
    var rss = new List<long>();
    // Up to the last full batch: the last, partial one waits for BatchTimeout (1 s), which is latency, not throughput.
    int points = messages * perMessage;
    long unacknowledged = 0;
    while (await run.AppliedAsync() < points - 1024)
    {
        rss.Add(run.ResidentBytes());
        JsonElement source = (await run.HealthAsync()).GetProperty("mqtt").EnumerateArray().First();
        unacknowledged = Math.Max(unacknowledged, source.GetProperty("messages").GetInt64() - source.GetProperty("acknowledged").GetInt64());
        await Task.Delay(100);
    }

    double seconds = clock.Elapsed.TotalSeconds;
    // The last acknowledgements follow the next checkpoint (Checkpoint:Interval).
    while ((await run.HealthAsync()).GetProperty("mqtt").EnumerateArray().First().GetProperty("acknowledged").GetInt64() < messages)
    {
        await Task.Delay(100);
    }

    double acknowledged = clock.Elapsed.TotalSeconds;
    double cpu = run.CpuSeconds();
    await run.StopAsync();
    long[] sorted = [.. rss.Order()];
    string memory = string.Create(CultureInfo.InvariantCulture, $"all acknowledged at {acknowledged:F2} s; at most {unacknowledged:N0} messages received and not yet acknowledged; worker CPU {cpu:F1} s (its whole life); RSS MiB min {sorted[0] >> 20}, median {sorted[sorted.Length / 2] >> 20}, max {sorted[^1] >> 20} over {sorted.Length} samples");
    return (seconds, memory);
}

/// <summary>The worker process, serving /healthz and /model on an ephemeral loopback port read back from its log.</summary>
internal sealed class WorkerRun : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _client;

    private WorkerRun(Process process, Uri address)
    {
        _process = process;
        _client = new HttpClient { BaseAddress = address };
    }

    public static async Task<WorkerRun> StartAsync(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        string? line;
        while ((line = await process.StandardError.ReadLineAsync()) is not null)
        {
            int at = line.IndexOf("HTTP listening on ", StringComparison.Ordinal);
            if (at >= 0)
            {
                var run = new WorkerRun(process, new Uri(line[(at + 18)..].Trim()));
                _ = process.StandardError.ReadToEndAsync();
                // The source is connected once /healthz lists it connected.
                while (!(await run.HealthAsync()).GetProperty("mqtt").EnumerateArray().First().GetProperty("connected").GetBoolean())
                {
                    await Task.Delay(20);
                }

                return run;
            }
        }

        throw new InvalidOperationException("The worker exited without listening.");
    }

    public async Task<JsonElement> HealthAsync()
    {
        using HttpResponseMessage response = await _client.GetAsync(new Uri("/healthz", UriKind.Relative));
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Gets the points the model has applied (0 before it is seeded).</summary>
    public async Task<long> AppliedAsync()
    {
        using HttpResponseMessage response = await _client.GetAsync(new Uri("/model", UriKind.Relative));
        return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("pointsApplied").GetInt64() : 0;
    }

    /// <summary>Gets the CPU time the worker has used, user and system, from /proc.</summary>
    public double CpuSeconds()
    {
        string stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    public long ResidentBytes()
    {
        string status = File.ReadAllText($"/proc/{_process.Id}/status");
        string line = status.Split('\n').First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    public async Task StopAsync()
    {
        using (Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!)
        {
            await kill.WaitForExitAsync();
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
