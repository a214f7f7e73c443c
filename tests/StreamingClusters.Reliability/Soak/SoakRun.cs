using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using StreamingClusters.Reliability.Overload;

namespace StreamingClusters.Reliability.Soak;

/// <summary>
/// The worker as a service at full speed for a long time: two producers post CSV bodies to POST /points
/// as fast as it accepts them (waiting out 503 + Retry-After), with a checkpoint every few seconds.
/// Every few seconds the worker's resident set, threads and open file descriptors are read from /proc;
/// the report gives them at 1, 5 and 10 minutes (or the run's end) and their spread after the first
/// minute, and checks at the end that every accepted point was applied.
/// <c>soak [--minutes 10] [--sample-seconds 5]</c>.
/// </summary>
internal static class SoakRun
{
    private const int Dimensions = 4;
    private const int RowsPerBody = 4000;

    public static async Task<int> RunAsync(string[] args)
    {
        double minutes = Option(args, "--minutes", 10);
        double sampleSeconds = Option(args, "--sample-seconds", 5);
        string loadBefore = File.ReadAllText("/proc/loadavg").Trim();
        await using LoopbackWorker worker = await LoopbackWorker.StartAsync(
            ["--clusters", "8", "--dimensions", Dimensions.ToString(CultureInfo.InvariantCulture), "--seed", "1",
             "--half-life", "200000points", "--checkpoint", "soak.ckpt", "--checkpoint-interval", "00:00:05"]).ConfigureAwait(false);
        using var http = new HttpClient { BaseAddress = worker.Address };

        byte[][] bodies = Bodies(16);
        long accepted = 0;
        long unavailable = 0;
        var clock = Stopwatch.StartNew();
        TimeSpan duration = TimeSpan.FromMinutes(minutes);
        using var stop = new CancellationTokenSource();
        async Task ProduceAsync(int producer)
        {
            for (int i = producer; !stop.IsCancellationRequested; i++)
            {
                using var content = new ByteArrayContent(bodies[i % bodies.Length]);
                content.Headers.ContentType = new("text/csv");
                using HttpResponseMessage response = await http.PostAsync(new Uri("/points", UriKind.Relative), content, CancellationToken.None).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    using JsonDocument answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
                    Interlocked.Add(ref accepted, answer.RootElement.GetProperty("accepted").GetInt64());
                }
                else if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    Interlocked.Increment(ref unavailable);
                    await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    throw new InvalidOperationException($"POST /points answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}");
                }
            }
        }

        Task[] producers = [ProduceAsync(0), ProduceAsync(1)];
        var samples = new List<Sample>();
        while (clock.Elapsed < duration)
        {
            await Task.Delay(TimeSpan.FromSeconds(sampleSeconds)).ConfigureAwait(false);
            samples.Add(Read(worker.ProcessId, clock.Elapsed, Interlocked.Read(ref accepted)));
            if (producers.FirstOrDefault(p => p.IsFaulted) is { } failed)
            {
                await failed.ConfigureAwait(false);
            }
        }

        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(producers).ConfigureAwait(false);
        string health = await http.GetStringAsync(new Uri("/healthz", UriKind.Relative)).ConfigureAwait(false);
        int exitCode = await worker.StopAsync().ConfigureAwait(false);
        string loadAfter = File.ReadAllText("/proc/loadavg").Trim();
        using JsonDocument final = JsonDocument.Parse(File.ReadAllBytes(worker.FinalSnapshotPath));
        long applied = final.RootElement.GetProperty("pointsApplied").GetInt64();

        Console.WriteLine($"soak: {minutes} min, HTTP ingest (2 producers, {RowsPerBody} rows a body, d = {Dimensions}, k = 8), checkpoint every 5 s, sampled every {sampleSeconds} s");
        Console.WriteLine($"load average before: {loadBefore}; after: {loadAfter}; cores: {Environment.ProcessorCount}");
        Console.WriteLine();
        Console.WriteLine("| at | points accepted | points/s since previous row | VmRSS MiB | threads | open fds |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        Sample? previous = null;
        foreach (double mark in new[] { 1.0, 5.0, 10.0 }.Where(m => m < minutes).Append(minutes))
        {
            Sample at = samples.LastOrDefault(s => s.Elapsed.TotalMinutes <= mark + 1e-9) ?? samples[0];
            double rate = (at.Accepted - (previous?.Accepted ?? 0)) / Math.Max(1e-9, (at.Elapsed - (previous?.Elapsed ?? TimeSpan.Zero)).TotalSeconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {at.Elapsed.TotalMinutes:F1} min | {at.Accepted:N0} | {rate:N0} | {at.RssKiB / 1024.0:F1} | {at.Threads} | {at.Fds} |"));
            previous = at;
        }

        Sample[] warm = [.. samples.Where(s => s.Elapsed.TotalMinutes >= Math.Min(1, minutes / 2))];
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"after warm-up ({warm.Length} samples): VmRSS {warm.Min(s => s.RssKiB) / 1024.0:F1}–{warm.Max(s => s.RssKiB) / 1024.0:F1} MiB, threads {warm.Min(s => s.Threads)}–{warm.Max(s => s.Threads)}, fds {warm.Min(s => s.Fds)}–{warm.Max(s => s.Fds)}; peak VmHWM {samples.Max(s => s.HwmKiB) / 1024.0:F1} MiB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RSS trend after warm-up: {Slope(warm):F2} MiB/min (least squares); 503 answers: {unavailable:N0}"));
        Console.WriteLine($"accepted {accepted:N0}, applied {applied:N0} (final snapshot after SIGTERM): {(applied == accepted ? "every accepted point applied" : "MISMATCH")}; worker exit {exitCode}; health at the end: {health}");
        string err = string.Join('\n', worker.Errors);
        if (err.Length > 0)
        {
            Console.WriteLine($"worker stderr (last 2000 chars): {err[^Math.Min(err.Length, 2000)..]}");
        }

        return applied == accepted && exitCode == 0 ? 0 : 1;
    }

    private static double Slope(Sample[] samples)
    {
        if (samples.Length < 2)
        {
            return 0;
        }

        double mx = samples.Average(s => s.Elapsed.TotalMinutes);
        double my = samples.Average(s => s.RssKiB / 1024.0);
        double num = samples.Sum(s => (s.Elapsed.TotalMinutes - mx) * ((s.RssKiB / 1024.0) - my));
        double den = samples.Sum(s => (s.Elapsed.TotalMinutes - mx) * (s.Elapsed.TotalMinutes - mx));
        return den == 0 ? 0 : num / den;
    }

    private static Sample Read(int pid, TimeSpan elapsed, long accepted)
    {
        long rss = 0;
        long hwm = 0;
        int threads = 0;
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        int fds = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
        return new Sample(elapsed, accepted, rss, hwm, threads, fds);
    }

    private static byte[][] Bodies(int count)
    {
        var random = new Random(5);
        var bodies = new byte[count][];
        for (int b = 0; b < count; b++)
        {
            var text = new StringBuilder();
            for (int i = 0; i < RowsPerBody; i++)
            {
                int c = random.Next(8);
                for (int j = 0; j < Dimensions; j++)
                {
                    text.Append(((c * 5 * (j + 1)) % 17) + random.NextDouble()).Append(j < Dimensions - 1 ? ',' : '\n');
                }
            }

            bodies[b] = Encoding.UTF8.GetBytes(text.ToString());
        }

        return bodies;
    }

    internal static double Option(string[] args, string name, double fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private sealed record Sample(TimeSpan Elapsed, long Accepted, long RssKiB, long HwmKiB, int Threads, int Fds);
}
