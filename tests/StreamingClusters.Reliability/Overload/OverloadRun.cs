using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Sinks;

namespace StreamingClusters.Reliability.Overload;

/// <summary>
/// <c>overload [--seconds 60] [--clusters 2048] [--dimensions 16] [--clients 8] [--ingest-wait 00:00:02]</c>:
/// producers far faster than the model (k·d makes it slow), first through the in-process writer, then
/// through POST /points of the real worker. Reports what was offered, accepted, refused (503) and
/// applied, and the peak working set; exits 1 unless accepted == applied exactly in both.
/// </summary>
internal static class OverloadRun
{
    private const int PointsPerWrite = 1_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = new RunArguments(args);
        int seconds = arguments.Int("seconds", 60);
        int k = arguments.Int("clusters", 2048);
        int d = arguments.Int("dimensions", 16);
        int clients = arguments.Int("clients", 8);
        string? ingestWait = arguments.Text("ingest-wait");
        float[] pool = LoadData.Points(64 * PointsPerWrite, d, seed: 1);

        Console.WriteLine($"# overload: k = {k}, d = {d}, {seconds} s per phase, {Environment.ProcessorCount} cores, load average {LoadAverage()}");
        Console.WriteLine();
        bool inProcessExact = await InProcessAsync(pool, k, d, seconds).ConfigureAwait(false);
        Console.WriteLine();
        bool httpExact = await OverHttpAsync(pool, k, d, seconds, clients, ingestWait).ConfigureAwait(false);
        return inProcessExact && httpExact ? 0 : 1;
    }

    private static async Task<bool> InProcessAsync(float[] pool, int k, int d, int seconds)
    {
        var options = new StreamingClustersOptions
        {
            Clusters = k,
            Dimensions = d,
            BatchSize = 1024,
            Seed = 1,
            Seeding = { BufferSize = Math.Max(4096, k), Candidates = 1, RefineIterations = 0 },
        };
        var pipeline = new ClusteringPipeline(options, new LoggingDeadLetterSink(NullLogger<LoggingDeadLetterSink>.Instance), TimeProvider.System, NullLoggerFactory.Instance);
        long baseline = ProcessStatus.Read(Environment.ProcessId, "VmRSS");
        using var stop = new CancellationTokenSource();
        Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token);
        bool producing = true;
        long waitedPoints = 0, waitedCalls = 0, tried = 0, refused = 0, triedPoints = 0, mostQueued = 0, peakRss = 0;
        int blocks = pool.Length / d / PointsPerWrite;
        var clock = Stopwatch.StartNew();

        async Task WaitingAsync(int producer)
        {
            for (int i = producer; Volatile.Read(ref producing); i++)
            {
                WriteResult result = await pipeline.Writer.WriteAsync(pool.AsMemory(i % blocks * PointsPerWrite * d, PointsPerWrite * d), d).ConfigureAwait(false);
                Interlocked.Add(ref waitedPoints, result.Accepted);
                Interlocked.Increment(ref waitedCalls);
            }
        }

        async Task TryingAsync()
        {
            for (int i = 0; Volatile.Read(ref producing); i++)
            {
                Interlocked.Increment(ref tried);
                WriteResult? result = await pipeline.Writer.TryWriteAsync(pool.AsMemory(i % blocks * PointsPerWrite * d, PointsPerWrite * d), d, TimeSpan.Zero).ConfigureAwait(false);
                if (result is { } written)
                {
                    Interlocked.Add(ref triedPoints, written.Accepted);
                }
                else
                {
                    Interlocked.Increment(ref refused);
                }
            }
        }

        Task[] producers = [Task.Run(() => WaitingAsync(0)), Task.Run(() => WaitingAsync(7)), Task.Run(TryingAsync)];
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            await Task.Delay(100).ConfigureAwait(false);
            mostQueued = Math.Max(mostQueued, pipeline.Ingest.PointsQueued);
            peakRss = Math.Max(peakRss, ProcessStatus.Read(Environment.ProcessId, "VmRSS"));
        }

        Volatile.Write(ref producing, false);
        await Task.WhenAll(producers).ConfigureAwait(false);
        TimeSpan produced = clock.Elapsed;
        await stop.CancelAsync().ConfigureAwait(false);
        await running.ConfigureAwait(false);
        CentroidSnapshot final = pipeline.Latest!;
        long accepted = waitedPoints + triedPoints;
        bool exact = final.PointsApplied == accepted && final.PointsReceived == accepted;

        Console.WriteLine("## In-process writer (IPointWriter): 2 producers WriteAsync, 1 producer TryWriteAsync(wait 0), 1000 points a call");
        Console.WriteLine();
        Console.WriteLine("| figure | value |");
        Console.WriteLine("|---|---|");
        Row("run", $"{produced.TotalSeconds:F1} s");
        Row("WriteAsync calls / points accepted", $"{waitedCalls:N0} / {waitedPoints:N0}");
        Row("TryWriteAsync calls / refused (null) / points accepted", $"{tried:N0} / {refused:N0} / {triedPoints:N0}");
        Row("points applied (final snapshot)", $"{final.PointsApplied:N0}");
        Row("accepted == applied", exact ? "yes, exactly" : $"NO: accepted {accepted:N0}, received {final.PointsReceived:N0}");
        Row("model throughput", $"{final.PointsApplied / produced.TotalSeconds:N0} points/s");
        Row("most points queued (capacity 65,536)", $"{mostQueued:N0}");
        Row("working set: before / peak sampled / VmHWM", $"{ProcessStatus.MiB(baseline)} / {ProcessStatus.MiB(peakRss)} / {ProcessStatus.MiB(ProcessStatus.Read(Environment.ProcessId, "VmHWM"))} MiB");
        return exact;
    }

    private static async Task<bool> OverHttpAsync(float[] pool, int k, int d, int seconds, int clients, string? ingestWait)
    {
        List<string> settings =
        [
            "--clusters", $"{k}", "--dimensions", $"{d}", "--batch-size", "1024", "--seed", "1",
            $"--StreamingClusters:Seeding:BufferSize={Math.Max(4096, k)}", "--StreamingClusters:Seeding:Candidates=1", "--StreamingClusters:Seeding:RefineIterations=0",
        ];
        if (ingestWait is not null)
        {
            settings.Add($"--StreamingClusters:Http:IngestWait={ingestWait}");
        }

        byte[][] bodies = [.. Enumerable.Range(0, 16).Select(b => LoadData.Csv(pool.AsSpan(b * PointsPerWrite * d, PointsPerWrite * d), d))];
        await using LoopbackWorker worker = await LoopbackWorker.StartAsync(settings).ConfigureAwait(false);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = worker.Address, Timeout = TimeSpan.FromMinutes(5) };
        long baseline = worker.Status("VmRSS");
        bool producing = true;
        long requests = 0, accepted = 0, unavailable = 0, withRetryAfter = 0, other = 0, peakRss = 0, peakThreads = 0;
        long slowest503 = 0, slowest200 = 0;
        var clock = Stopwatch.StartNew();

        async Task ClientAsync(int client)
        {
            for (int i = client; Volatile.Read(ref producing); i++)
            {
                Interlocked.Increment(ref requests);
                using var content = new ByteArrayContent(bodies[i % bodies.Length]);
                content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
                long started = Stopwatch.GetTimestamp();
                using HttpResponseMessage response = await http.PostAsync(new Uri("/points", UriKind.Relative), content).ConfigureAwait(false);
                long took = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    using JsonDocument answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
                    Interlocked.Add(ref accepted, answer.RootElement.GetProperty("accepted").GetInt64());
                    Max(ref slowest200, took);
                }
                else if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    Interlocked.Increment(ref unavailable);
                    Max(ref slowest503, took);
                    if (response.Headers.RetryAfter?.Delta is { } delay && delay > TimeSpan.Zero)
                    {
                        Interlocked.Increment(ref withRetryAfter);
                    }
                }
                else
                {
                    Interlocked.Increment(ref other);
                }
            }
        }

        Task[] running = [.. Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientAsync(c)))];
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            await Task.Delay(200).ConfigureAwait(false);
            peakRss = Math.Max(peakRss, worker.Status("VmRSS"));
            peakThreads = Math.Max(peakThreads, worker.Status("Threads"));
        }

        // In-flight requests finish: cutting one short would leave its fate unknown to the count.
        Volatile.Write(ref producing, false);
        await Task.WhenAll(running).ConfigureAwait(false);
        TimeSpan produced = clock.Elapsed;
        long hwm = worker.Status("VmHWM");
        int exitCode = await worker.StopAsync().ConfigureAwait(false);
        if (!File.Exists(worker.FinalSnapshotPath))
        {
            Console.WriteLine($"The worker exited with {exitCode} without a final snapshot:");
            foreach (string line in worker.Output.TakeLast(20))
            {
                Console.WriteLine(line);
            }

            return false;
        }

        using JsonDocument final = JsonDocument.Parse(await File.ReadAllBytesAsync(worker.FinalSnapshotPath).ConfigureAwait(false));
        long applied = final.RootElement.GetProperty("pointsApplied").GetInt64();
        long received = final.RootElement.GetProperty("pointsReceived").GetInt64();
        bool exact = exitCode == 0 && applied == accepted && received == accepted;

        Console.WriteLine($"## HTTP: {clients} clients POST /points (1000 points of d = {d}, ~{bodies[0].Length / 1024} KiB CSV) back to back, retrying a 503 at once; IngestWait {ingestWait ?? "00:00:02 (default)"}");
        Console.WriteLine();
        Console.WriteLine("| figure | value |");
        Console.WriteLine("|---|---|");
        Row("run", $"{produced.TotalSeconds:F1} s");
        Row("requests / 200 / 503 / other", $"{requests:N0} / {requests - unavailable - other:N0} / {unavailable:N0} / {other:N0}");
        Row("503 answers with Retry-After", $"{withRetryAfter:N0} of {unavailable:N0}");
        Row("slowest 200 / slowest 503", $"{slowest200:N0} ms / {slowest503:N0} ms");
        Row("points offered / accepted (2xx)", $"{(requests - other) * PointsPerWrite:N0} / {accepted:N0}");
        Row("points applied (final snapshot after SIGTERM)", $"{applied:N0} (exit code {exitCode})");
        Row("accepted == applied", exact ? "yes, exactly" : $"NO: accepted {accepted:N0}, received {received:N0}");
        Row("model throughput", $"{applied / produced.TotalSeconds:N0} points/s");
        Row("worker working set: after start / peak sampled / VmHWM", $"{ProcessStatus.MiB(baseline)} / {ProcessStatus.MiB(peakRss)} / {ProcessStatus.MiB(hwm)} MiB");
        Row("worker threads (peak sampled)", $"{peakThreads}");
        return exact;
    }

    private static void Row(string figure, string value) => Console.WriteLine($"| {figure} | {value} |");

    private static void Max(ref long target, long value)
    {
        long seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
}
