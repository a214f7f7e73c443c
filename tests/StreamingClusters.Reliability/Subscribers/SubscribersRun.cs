using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Reliability.Overload;
using StreamingClusters.Sinks;

namespace StreamingClusters.Reliability.Subscribers;

/// <summary>
/// <c>subscribers [--rounds 3] [--points 1000000] [--http-points 300000] [--clusters 64] [--dimensions 16]</c>:
/// the same points with no subscriber and with ten (eight that read, one that never does, one that
/// throws or leaves), alternating rounds, in process (the library's <see cref="ClusteringPipeline.Snapshots"/>)
/// and over server-sent events (GET /model/stream of the real worker). Reports the best throughput of
/// each, the ratio, the points per CPU-second (steadier than wall-clock on a shared machine), and the
/// peak working set.
/// </summary>
internal static class SubscribersRun
{
    private const int PointsPerWrite = 1_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = new RunArguments(args);
        int rounds = arguments.Int("rounds", 3);
        int points = arguments.Int("points", 1_000_000);
        int httpPoints = arguments.Int("http-points", 300_000);
        int k = arguments.Int("clusters", 64);
        int d = arguments.Int("dimensions", 16);
        float[] data = LoadData.Points(points, d, seed: 2);

        Console.WriteLine($"# subscribers: k = {k}, d = {d}, {rounds} rounds of each, alternating; {Environment.ProcessorCount} cores, load average {OverloadRun.LoadAverage()}");
        Console.WriteLine();
        var inProcess = new Dictionary<int, List<(double Rate, double CpuRate, long PeakKib)>> { [0] = [], [10] = [] };
        for (int round = 0; round < rounds; round++)
        {
            foreach (int subscribers in round % 2 == 0 ? new[] { 0, 10 } : [10, 0])
            {
                inProcess[subscribers].Add(await InProcessRoundAsync(data, k, d, subscribers).ConfigureAwait(false));
            }
        }

        Report($"In process: {points:N0} points through IPointWriter, a snapshot every 1024 points", inProcess, "process VmRSS peak sampled", "harness process");

        byte[][] bodies = [.. Enumerable.Range(0, httpPoints / PointsPerWrite).Select(b => LoadData.Csv(data.AsSpan(b * PointsPerWrite * d, PointsPerWrite * d), d))];
        var overHttp = new Dictionary<int, List<(double Rate, double CpuRate, long PeakKib)>> { [0] = [], [10] = [] };
        for (int round = 0; round < rounds; round++)
        {
            foreach (int subscribers in round % 2 == 0 ? new[] { 0, 10 } : [10, 0])
            {
                overHttp[subscribers].Add(await HttpRoundAsync(bodies, k, d, subscribers).ConfigureAwait(false));
            }
        }

        Report($"Over HTTP: {bodies.Length * PointsPerWrite:N0} points POSTed (2 clients), clients of GET /model/stream", overHttp, "worker VmHWM", "worker");
        Console.WriteLine($"load average after: {OverloadRun.LoadAverage()}");
        return 0;
    }

    private static async Task<(double Rate, double CpuRate, long PeakKib)> InProcessRoundAsync(float[] data, int k, int d, int subscribers)
    {
        var options = new StreamingClustersOptions { Clusters = k, Dimensions = d, BatchSize = 1024, Seed = 1 };
        var pipeline = new ClusteringPipeline(options, new LoggingDeadLetterSink(NullLogger<LoggingDeadLetterSink>.Instance), TimeProvider.System, NullLoggerFactory.Instance);
        using var gate = new ManualResetEventSlim();
        var subscriptions = new List<IDisposable>();
        var finals = new List<TaskCompletionSource>();
        if (subscribers > 0)
        {
            // One that never returns, one that throws, the rest count what they see.
            subscriptions.Add(pipeline.Snapshots.Subscribe(_ => gate.Wait()));
            subscriptions.Add(pipeline.Snapshots.Subscribe(_ => throw new InvalidOperationException("subscriber bug")));
            for (int i = 2; i < subscribers; i++)
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                long seen = 0;
                finals.Add(done);
                subscriptions.Add(pipeline.Snapshots.Subscribe(_ => seen++, () => done.TrySetResult()));
            }
        }

        long peak = 0;
        using var stop = new CancellationTokenSource();
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token);
        for (int start = 0; start < data.Length; start += PointsPerWrite * d)
        {
            await pipeline.Writer.WriteAsync(data.AsMemory(start, Math.Min(PointsPerWrite * d, data.Length - start)), d).ConfigureAwait(false);
            if (start % (100 * PointsPerWrite * d) == 0)
            {
                peak = Math.Max(peak, ProcessStatus.Read(Environment.ProcessId, "VmRSS"));
            }
        }

        await stop.CancelAsync().ConfigureAwait(false);
        await running.ConfigureAwait(false);
        TimeSpan elapsed = clock.Elapsed;
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        await Task.WhenAll(finals.Select(f => f.Task)).ConfigureAwait(false);
        gate.Set();
        subscriptions.ForEach(s => s.Dispose());
        long applied = pipeline.Latest!.PointsApplied;
        return (applied / elapsed.TotalSeconds, applied / cpu.TotalSeconds, peak);
    }

    private static async Task<(double Rate, double CpuRate, long PeakKib)> HttpRoundAsync(byte[][] bodies, int k, int d, int subscribers)
    {
        await using LoopbackWorker worker = await LoopbackWorker.StartAsync(
            ["--clusters", $"{k}", "--dimensions", $"{d}", "--batch-size", "1024", "--seed", "1"]).ConfigureAwait(false);
        using var http = new HttpClient { BaseAddress = worker.Address, Timeout = TimeSpan.FromMinutes(5) };
        var streams = new List<IDisposable>();
        var reading = new List<Task>();
        if (subscribers > 0)
        {
            // One that never reads its socket, one that leaves after its first event, the rest read everything.
            var nonReader = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            await nonReader.ConnectAsync(IPAddress.Loopback, worker.Address.Port).ConfigureAwait(false);
            await nonReader.SendAsync(Encoding.ASCII.GetBytes($"GET /model/stream HTTP/1.1\r\nHost: {worker.Address.Authority}\r\n\r\n")).ConfigureAwait(false);
            streams.Add(nonReader);
            reading.Add(ReadEventsAsync(http, leaveAfterFirst: true));
            for (int i = 2; i < subscribers; i++)
            {
                reading.Add(ReadEventsAsync(http, leaveAfterFirst: false));
            }
        }

        long total = (long)bodies.Length * PointsPerWrite;
        int next = -1;
        using var process = Process.GetProcessById(worker.ProcessId);
        TimeSpan cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();

        async Task PostAsync()
        {
            int body;
            while ((body = Interlocked.Increment(ref next)) < bodies.Length)
            {
                while (true)
                {
                    using var content = new ByteArrayContent(bodies[body]);
                    content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
                    using HttpResponseMessage response = await http.PostAsync(new Uri("/points", UriKind.Relative), content).ConfigureAwait(false);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        break;
                    }
                }
            }
        }

        await Task.WhenAll(PostAsync(), PostAsync()).ConfigureAwait(false);
        while (true)
        {
            using HttpResponseMessage model = await http.GetAsync(new Uri("/model", UriKind.Relative)).ConfigureAwait(false);
            if (model.StatusCode == HttpStatusCode.OK)
            {
                using JsonDocument snapshot = JsonDocument.Parse(await model.Content.ReadAsStringAsync().ConfigureAwait(false));
                if (snapshot.RootElement.GetProperty("pointsApplied").GetInt64() >= total)
                {
                    break;
                }
            }

            await Task.Delay(10).ConfigureAwait(false);
        }

        TimeSpan elapsed = clock.Elapsed;
        process.Refresh();
        cpu = process.TotalProcessorTime - cpu;
        long hwm = worker.Status("VmHWM");
        int exitCode = await worker.StopAsync().ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"The worker exited with {exitCode}.");
        }

        await Task.WhenAll(reading).ConfigureAwait(false);
        streams.ForEach(s => s.Dispose());
        return (total / elapsed.TotalSeconds, total / cpu.TotalSeconds, hwm);
    }

    private static async Task ReadEventsAsync(HttpClient http, bool leaveAfterFirst)
    {
        try
        {
            using HttpResponseMessage response = await http.GetAsync(new Uri("/model/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            using var events = new StreamReader(await response.Content.ReadAsStreamAsync().ConfigureAwait(false));
            while (await events.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (leaveAfterFirst && line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    return;
                }
            }
        }
        catch (HttpRequestException)
        {
            // The worker stopped mid-event.
        }
        catch (IOException)
        {
            // The worker stopped mid-event.
        }
    }

    private static void Report(string title, Dictionary<int, List<(double Rate, double CpuRate, long PeakKib)>> runs, string memory, string cpuOf)
    {
        Console.WriteLine($"## {title}");
        Console.WriteLine();
        Console.WriteLine($"| subscribers | rounds (points/s) | best | points per CPU-second of the {cpuOf} (rounds) | best | {memory} (max) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (int subscribers in new[] { 0, 10 })
        {
            string rounds = string.Join(", ", runs[subscribers].Select(r => r.Rate.ToString("N0", CultureInfo.InvariantCulture)));
            string cpuRounds = string.Join(", ", runs[subscribers].Select(r => r.CpuRate.ToString("N0", CultureInfo.InvariantCulture)));
            Console.WriteLine($"| {subscribers} | {rounds} | {runs[subscribers].Max(r => r.Rate):N0} | {cpuRounds} | {runs[subscribers].Max(r => r.CpuRate):N0} | {ProcessStatus.MiB(runs[subscribers].Max(r => r.PeakKib))} MiB |");
        }

        Console.WriteLine();
        Console.WriteLine($"Throughput kept with ten subscribers (best against best): {runs[10].Max(r => r.Rate) / runs[0].Max(r => r.Rate):P1} wall-clock, {runs[10].Max(r => r.CpuRate) / runs[0].Max(r => r.CpuRate):P1} per CPU-second");
        Console.WriteLine();
    }
}
