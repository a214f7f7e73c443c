// Throughput from a real mosquitto, alternating in one run:
//   ceiling  a bare MQTTnet subscriber (QoS 1, acknowledging each message at once, 1 MiB socket buffer)
//   worker   the real worker process (QoS 1, persistent session, acknowledged once a checkpoint holds them)
// for one reading per message and for batches (a JSON array of readings per message). By default the
// messages are queued in the subscriber's session while it is away before each run (a backlog after an
// outage), so the broker delivers as fast as it can and the publisher is not what is measured. With
// --live the subscriber is connected first and a publisher sends the messages as fast as the broker takes
// them (live traffic faster than the model). The worker's resident memory is sampled every 100 ms while the
// broker is ahead of the model.
//
//   dotnet run --project tests/StreamingClusters.Mqtt.Throughput -c Release -- [readings] [rounds] [shape] [switches] [worker arguments]
// readings: for one reading per message (batches of 100 carry five times as many); shape: 1 or 100 runs
// only that shape, 0 both; switches: --live, --no-ceiling, --worker-dll PATH (another build of the
// worker; repeat to alternate several builds in one run); further arguments go to the worker, e.g.
// --StreamingClusters:Sources:0:MaxUnacknowledged=10000.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MQTTnet;
using MQTTnet.Protocol;
using StreamingClusters.Worker.Tests.Mqtt;

int readings = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
int[] shapes = args.Length > 2 && args[2] != "0" ? [int.Parse(args[2], CultureInfo.InvariantCulture)] : [1, 100];
bool live = false;
bool ceilingToo = true;
var workerDlls = new List<string>();
var extra = new List<string>();
for (int a = 3; a < args.Length; a++)
{
    switch (args[a])
    {
        case "--live": live = true; break;
        case "--no-ceiling": ceilingToo = false; break;
        case "--worker-dll": workerDlls.Add(Path.GetFullPath(args[++a])); break;
        default: extra.Add(args[a]); break;
    }
}

if (workerDlls.Count == 0)
{
    workerDlls.Add(Path.Combine(AppContext.BaseDirectory, "StreamingClusters.Worker.dll"));
}

await using Mosquitto broker = await Mosquitto.StartAsync();
Console.WriteLine($"mosquitto on port {broker.Port}; {(live ? "live publisher" : "backlog")}; {readings:N0} readings per run of one per message, {readings * 5:N0} of batches; {Environment.ProcessorCount} cores; load: {Load()}");
for (int w = 0; w < workerDlls.Count; w++)
{
    Console.WriteLine($"worker {(char)('A' + w)}: {workerDlls[w]}");
}

DirectoryInfo dir = Directory.CreateTempSubdirectory("sc-mqtt-throughput-");
try
{
    for (int round = 1; round <= rounds; round++)
    {
        foreach (int perMessage in shapes)
        {
            int points = perMessage == 1 ? readings : readings * 5;
            int messages = points / perMessage;
            if (ceilingToo)
            {
                (double ceiling, double published) = await CeilingAsync(broker, messages, perMessage, round, live);
                Report("ceiling", perMessage, points, ceiling, published, null);
            }

            for (int w = 0; w < workerDlls.Count; w++)
            {
                (double worker, double published, string memory) = await WorkerAsync(broker, workerDlls[w], dir.FullName, messages, perMessage, round, w, live, [.. extra]);
                Report(workerDlls.Count == 1 ? "worker" : $"worker {(char)('A' + w)}", perMessage, points, worker, published, memory);
            }
        }
    }
}
finally
{
    dir.Delete(recursive: true);
}

Console.WriteLine($"load after: {Load()}");
return 0;

static string Load() => File.ReadAllText("/proc/loadavg").Trim();

void Report(string who, int perMessage, int points, double seconds, double published, string? memory)
{
    string publisher = live ? string.Create(CultureInfo.InvariantCulture, $"  (publisher {points / perMessage / published:N0} messages/s)") : string.Empty;
    string line = string.Create(CultureInfo.InvariantCulture, $"{who,-8} {(perMessage == 1 ? "1 reading/message" : $"{perMessage} readings/message"),-22} {points / seconds,12:N0} points/s  {points / perMessage / seconds,10:N0} messages/s  ({seconds:F2} s){publisher}{(memory is null ? string.Empty : "  " + memory)}");
    Console.WriteLine(line);
}

// The payloads of a run: one reading, or a JSON array of perMessage readings, around five modes.
static byte[][] Payloads(int messages, int perMessage, int round)
{
    var random = new Random(round);
    var payloads = new byte[messages][];
    var payload = new StringBuilder();
    for (int m = 0; m < messages; m++)
    {
        payload.Clear();
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

        payloads[m] = Encoding.UTF8.GetBytes(payload.ToString());
    }

    return payloads;
}

// Publishes the payloads with QoS 1 as fast as the broker takes them, from four clients at once (a
// topic each, as four machines), each with up to 1,000 messages unacknowledged; returns the seconds taken.
static async Task<double> PublishAsync(Mosquitto broker, byte[][] payloads)
{
    const int Publishers = 4;
    var clients = new IMqttClient[Publishers];
    for (int p = 0; p < Publishers; p++)
    {
        clients[p] = new MqttClientFactory().CreateMqttClient();
        await clients[p].ConnectAsync(WithBuffer(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithClientId($"throughput-publisher-{p}").Build()));
    }

    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, Publishers).Select(p => Task.Run(async () =>
    {
        var window = new List<Task>(1000);
        for (int m = p; m < payloads.Length; m += Publishers)
        {
            window.Add(clients[p].PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic($"sensors/press-{p:00}/readings")
                .WithPayload(payloads[m])
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build()));
            if (window.Count == 1000)
            {
                await Task.WhenAll(window);
                window.Clear();
            }
        }

        await Task.WhenAll(window);
    })));
    double seconds = clock.Elapsed.TotalSeconds;
    foreach (IMqttClient client in clients)
    {
        await client.DisconnectAsync();
        client.Dispose();
    }

    return seconds;
}

static async Task<(double Seconds, double Published)> CeilingAsync(Mosquitto broker, int messages, int perMessage, int round, bool live)
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

    byte[][] payloads = Payloads(messages, perMessage, round);
    double published = 0;
    if (!live)
    {
        published = await PublishAsync(broker, payloads);
    }

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
    if (live)
    {
        clock.Restart();
        published = await PublishAsync(broker, payloads);
    }

    await all.Task.WaitAsync(TimeSpan.FromMinutes(10));
    double seconds = clock.Elapsed.TotalSeconds;
    await client.DisconnectAsync();
    return (seconds, published);
}

static MqttClientOptions WithBuffer(MqttClientOptions options)
{
    ((MqttClientTcpOptions)options.ChannelOptions).BufferSize = 1 << 20;
    return options;
}

static async Task<(double Seconds, double Published, string Memory)> WorkerAsync(Mosquitto broker, string workerDll, string directory, int messages, int perMessage, int round, int build, bool live, string[] extra)
{
    string clientId = $"throughput-worker-{round}-{perMessage}-{build}";
    string[] args =
    [
        workerDll, "--mqtt-broker", broker.Url, "--mqtt-topic", "sensors/#", "--mqtt-client-id", clientId, "--clusters", "5",
        "--columns", "temperature,pressure,vibration,current,flow,rpm", "--checkpoint", Path.Combine(directory, clientId + ".ckpt"),
        "--checkpoint-interval", "1s", "--urls", "http://127.0.0.1:0", .. extra,
    ];

    // A first start makes the session (and its subscription); then the readings are queued for it, or published while it runs.
    await using (var maker = await WorkerRun.StartAsync(args))
    {
        await maker.StopAsync();
    }

    byte[][] payloads = Payloads(messages, perMessage, round);
    double published = 0;
    if (!live)
    {
        published = await PublishAsync(broker, payloads);
    }

    await using WorkerRun run = await WorkerRun.StartAsync(args);
    var clock = Stopwatch.StartNew();
    Task<double>? publishing = live ? Task.Run(() => PublishAsync(broker, payloads)) : null;
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
    if (publishing is not null)
    {
        published = await publishing;
    }

    // The last acknowledgements follow the next checkpoint (Checkpoint:Interval).
    while ((await run.HealthAsync()).GetProperty("mqtt").EnumerateArray().First().GetProperty("acknowledged").GetInt64() < messages)
    {
        await Task.Delay(100);
    }

    double acknowledged = clock.Elapsed.TotalSeconds;
    double cpu = run.CpuSeconds();
    await run.StopAsync();
    // The source's own count of the most messages it held unacknowledged at once, where it logs one (on stopping).
    Match held = Regex.Match(run.Output, @"at most ([\d,]+) held unacknowledged at once \(window ([\d,]+)\); reads paused ([\d,]+) times");
    string exact = held.Success ? $"; the source's count: at most {held.Groups[1].Value} held (window {held.Groups[2].Value}), reads paused {held.Groups[3].Value} times" : string.Empty;
    long[] sorted = [.. rss.Order()];
    string memory = string.Create(CultureInfo.InvariantCulture, $"all acknowledged at {acknowledged:F2} s; at most {unacknowledged:N0} messages received and not yet acknowledged (sampled){exact}; worker CPU {cpu:F1} s (its whole life); RSS MiB min {sorted[0] >> 20}, median {sorted[sorted.Length / 2] >> 20}, max {sorted[^1] >> 20} over {sorted.Length} samples");
    return (seconds, published, memory);
}

/// <summary>The worker process, serving /healthz and /model on an ephemeral loopback port read back from its log.</summary>
internal sealed class WorkerRun : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _client;
    private readonly StringBuilder _output = new();
    private Task? _reading;

    private WorkerRun(Process process, Uri address)
    {
        _process = process;
        _client = new HttpClient { BaseAddress = address };
    }

    /// <summary>Gets what the worker wrote to standard error after it listened (its log).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
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
                run._reading = run.ReadAsync();
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
        if (_reading is not null)
        {
            await _reading;
        }
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

    private async Task ReadAsync()
    {
        string? line;
        while ((line = await _process.StandardError.ReadLineAsync()) is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
