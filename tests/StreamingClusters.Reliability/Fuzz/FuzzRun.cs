using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Ingest;
using StreamingClusters.MalformedInput;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Sinks;
using StreamingClusters.Sources;

namespace StreamingClusters.Reliability.Fuzz;

/// <summary>
/// <c>fuzz [--records N] [--seed S] [--max-record-length L]</c>: N seeded good and damaged records
/// through each parser and each way in — a CSV file, a JSON-lines file and a followed CSV file through
/// the in-process pipeline; CSV through the real worker's standard input; CSV and JSON-lines bodies
/// over real HTTP to the real worker. Checks that nothing fails or hangs, that applied + rejected =
/// records exactly, that the generator's good records are applied and its bad ones rejected, and that
/// every rejection has a reason and is dead-lettered; prints the figures as Markdown.
/// </summary>
internal static partial class FuzzRun
{
    private const int Dimensions = 3;

    /// <summary>A bound on one transport's run: past it, the run counts as hung.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(30);

    public static async Task<int> RunAsync(string[] args)
    {
        long records = Option(args, "--records", 1_000_000);
        int seed = (int)Option(args, "--seed", 1);
        int maxRecordLength = (int)Option(args, "--max-record-length", 4096);
        string work = Directory.CreateTempSubdirectory("sc-fuzz-").FullName;
        var rows = new List<Row>();
        var reasons = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        try
        {
            rows.Add(await InProcessAsync("CSV file", InputFormat.Csv, follow: false, records, seed, maxRecordLength, work, reasons));
            rows.Add(await InProcessAsync("JSON-lines file", InputFormat.JsonLines, follow: false, records, seed + 1, maxRecordLength, work, reasons));
            rows.Add(await InProcessAsync("CSV file, followed", InputFormat.Csv, follow: true, records, seed + 2, maxRecordLength, work, reasons));
            rows.Add(await InProcessAsync("JSON-lines file, followed", InputFormat.JsonLines, follow: true, records, seed + 3, maxRecordLength, work, reasons));
            rows.Add(await StandardInputAsync(records, seed + 4, maxRecordLength, work, reasons));
            rows.Add(await HttpAsync("HTTP text/csv", InputFormat.Csv, "text/csv", records, seed + 5, maxRecordLength, reasons));
            rows.Add(await HttpAsync("HTTP application/x-ndjson", InputFormat.JsonLines, "application/x-ndjson", records, seed + 6, maxRecordLength, reasons));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        Console.WriteLine($"fuzz: {records:N0} records per way in, seed {seed}, MaxRecordLength {maxRecordLength}, d = {Dimensions}");
        Console.WriteLine();
        Console.WriteLine("| way in | records | must apply | must reject | random damage | applied | rejected | applied + rejected = records | violations | failures/hangs | time |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|");
        foreach (Row r in rows)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.Tally.Records:N0} | {r.Tally.MustAccept:N0} | {r.Tally.MustReject:N0} | {r.Tally.Unknown:N0} | {r.Applied:N0} | {r.Rejected:N0} | {(r.Applied + r.Rejected == r.Tally.Records ? "yes" : "NO")} | {r.Violations.Count} | {r.Failures} | {r.Time.TotalSeconds:F1} s |"));
        }

        Console.WriteLine();
        Console.WriteLine("| rejected because (numbers as N, quoted text as '…') | records |");
        Console.WriteLine("|---|---:|");
        foreach ((string reason, long count) in reasons.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {reason.Replace("|", "\\|", StringComparison.Ordinal)} | {count:N0} |"));
        }

        foreach (Row r in rows)
        {
            foreach (string violation in r.Violations.Take(20))
            {
                Console.Error.WriteLine($"{r.Name}: {violation}");
            }
        }

        return rows.All(r => r.Violations.Count == 0 && r.Failures == 0 && r.Applied + r.Rejected == r.Tally.Records) ? 0 : 1;
    }

    private static async Task<Row> InProcessAsync(string name, InputFormat format, bool follow, long records, int seed, int maxRecordLength, string work, ConcurrentDictionary<string, long> reasons)
    {
        string path = Path.Combine(work, format == InputFormat.Csv ? "fuzz.csv" : "fuzz.jsonl");
        DocumentTally tally = WriteFile(path, format, records, seed, maxRecordLength, terminateLast: follow);
        var options = new StreamingClustersOptions
        {
            Clusters = 2,
            Dimensions = Dimensions,
            MaxRecordLength = maxRecordLength,
            Seed = (ulong)seed,
            Sources = [new SourceOptions { Name = "fuzz", Path = path, Format = format == InputFormat.Csv ? RecordFormat.Csv : RecordFormat.JsonLines, Follow = follow, PollInterval = TimeSpan.FromMilliseconds(50) }],
        };
        var deadLetters = new CountingDeadLetterSink(reasons);
        var pipeline = new ClusteringPipeline(options, deadLetters, TimeProvider.System, NullLoggerFactory.Instance);
        var clock = Stopwatch.StartNew();
        var row = new Row(name, tally);
        using var stop = new CancellationTokenSource();
        Task run = pipeline.RunAsync([PointSourceFactory.Create(options.Sources[0], 0, options)], stopWhenSourcesEnd: !follow, stop.Token);
        try
        {
            if (follow)
            {
                // A followed file never ends: stop it once every record has been counted.
                using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
                using var hang = new CancellationTokenSource(Hang);
                while (!run.IsCompleted && pipeline.Ingest.Counters("fuzz") is var c && (c.Received < tally.Records || c.Rejected + c.Applied < c.Received))
                {
                    await poll.WaitForNextTickAsync(hang.Token);
                }

                await stop.CancelAsync();
            }

            await run.WaitAsync(Hang);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            row.Failures++;
            row.Violations.Add($"failed: {e.GetType().Name}: {e.Message}");
        }

        row.Time = clock.Elapsed;
        SourceTotals? totals = pipeline.Latest?.Sources.SingleOrDefault(s => s.Name == "fuzz");
        SourceCounters counters = pipeline.Ingest.Counters("fuzz");
        row.Applied = counters.Applied;
        row.Rejected = counters.Rejected;
        Check(row, counters.Received, deadLetters.Count, deadLetters.Blank);
        if (totals is not null && (totals.Applied, totals.Rejected, totals.Received) != (counters.Applied, counters.Rejected, counters.Received))
        {
            row.Violations.Add($"the final snapshot's totals {totals} differ from the counters");
        }

        return row;
    }

    private static async Task<Row> StandardInputAsync(long records, int seed, int maxRecordLength, string work, ConcurrentDictionary<string, long> reasons)
    {
        string path = Path.Combine(work, "stdin.csv");
        DocumentTally tally = WriteFile(path, InputFormat.Csv, records, seed, maxRecordLength, terminateLast: false);
        string deadLetterPath = Path.Combine(work, "stdin-dead.jsonl");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = work,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in (string[])[WorkerDll, "--input", "-", "--format", "csv", "--clusters", "2", "--dimensions", "3", "--quiet",
            "--dead-letter", deadLetterPath, $"--StreamingClusters:MaxRecordLength={maxRecordLength}"])
        {
            start.ArgumentList.Add(arg);
        }

        var row = new Row("CSV on the worker's standard input", tally);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await using (FileStream input = File.OpenRead(path))
        {
            await input.CopyToAsync(process.StandardInput.BaseStream);
        }

        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Hang);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            row.Failures++;
        }

        row.Time = clock.Elapsed;
        string text = await output;
        if (process.ExitCode != 0 || Done().Match(text) is not { Success: true } done)
        {
            row.Failures++;
            row.Violations.Add($"exit {process.ExitCode}: {text} {await error}");
            return row;
        }

        row.Applied = Number(done, "applied");
        row.Rejected = Number(done, "rejected");
        (long dead, long blank) = ReadDeadLetters(deadLetterPath, "stdin", reasons, row);
        Check(row, Number(done, "received"), dead, blank);
        return row;
    }

    private static async Task<Row> HttpAsync(string name, InputFormat format, string contentType, long records, int seed, int maxRecordLength, ConcurrentDictionary<string, long> reasons)
    {
        var generator = new MalformedRecordGenerator(format, seed, Dimensions, maxRecordLength);
        await using ServingWorker worker = await ServingWorker.StartAsync(
            WorkerDll, Dimensions, TimeSpan.FromMinutes(2), "--quiet", $"--StreamingClusters:MaxRecordLength={maxRecordLength}", "--StreamingClusters:Http:IngestWait=00:00:05");
        var clock = Stopwatch.StartNew();
        BodyRunResult result;
        using (var hang = new CancellationTokenSource(Hang))
        {
            result = await BodyFuzzer.RunAsync(worker.Client, generator, contentType, records, maxBodyRecords: 500, hang.Token);
        }

        var row = new Row(name, result.Tally) { Applied = result.Accepted, Rejected = result.Rejected };
        row.Violations.AddRange(result.Violations);
        (int exitCode, string output) = await worker.StopAsync(TimeSpan.FromMinutes(5));
        row.Time = clock.Elapsed;
        if (exitCode != 0 || Done().Match(output) is not { Success: true } done)
        {
            row.Failures++;
            row.Violations.Add($"exit {exitCode}: {output}");
            return row;
        }

        if ((Number(done, "applied"), Number(done, "rejected")) != (result.Accepted, result.Rejected))
        {
            row.Violations.Add($"the worker's totals ({done.Value}) differ from its answers ({result.Accepted} accepted, {result.Rejected} rejected)");
        }

        (long dead, long blank) = ReadDeadLetters(worker.DeadLetterPath, "http", reasons, row);
        Check(row, Number(done, "received"), dead, blank);
        return row;
    }

    private static DocumentTally WriteFile(string path, InputFormat format, long records, int seed, int maxRecordLength, bool terminateLast)
    {
        var generator = new MalformedRecordGenerator(format, seed, Dimensions, maxRecordLength);
        using var file = new BufferedStream(File.Create(path), 1 << 20);
        return MalformedDocument.Write(generator, file, records, trackLines: false, terminateLast);
    }

    /// <summary>The rules that need only totals: each record counted once, the verdicts' bounds, a dead letter with a reason per rejection.</summary>
    private static void Check(Row row, long received, long deadLetters, long blankReasons)
    {
        DocumentTally t = row.Tally;
        if (received != t.Records)
        {
            row.Violations.Add($"received {received:N0}, the generator wrote {t.Records:N0} records");
        }

        if (row.Applied + row.Rejected != t.Records)
        {
            row.Violations.Add($"applied {row.Applied:N0} + rejected {row.Rejected:N0} != {t.Records:N0} records");
        }

        if (row.Applied < t.MustAccept || row.Applied > t.MustAccept + t.Unknown)
        {
            row.Violations.Add($"applied {row.Applied:N0}, expected {t.MustAccept:N0} to {t.MustAccept + t.Unknown:N0}");
        }

        if (deadLetters != row.Rejected)
        {
            row.Violations.Add($"{deadLetters:N0} dead letters for {row.Rejected:N0} rejections");
        }

        if (blankReasons > 0)
        {
            row.Violations.Add($"{blankReasons:N0} rejections without a reason");
        }
    }

    private static (long Count, long Blank) ReadDeadLetters(string path, string source, ConcurrentDictionary<string, long> reasons, Row row)
    {
        long count = 0;
        long blank = 0;
        foreach (string line in File.ReadLines(path))
        {
            using var json = JsonDocument.Parse(line);
            string reason = json.RootElement.GetProperty("reason").GetString() ?? string.Empty;
            string from = json.RootElement.GetProperty("source").GetString() ?? string.Empty;
            if (from != source)
            {
                row.Violations.Add($"a dead letter of source '{from}'");
            }

            count++;
            blank += string.IsNullOrWhiteSpace(reason) ? 1 : 0;
            reasons.AddOrUpdate(BodyFuzzer.ReasonClass(reason), 1, (_, n) => n + 1);
        }

        return (count, blank);
    }

    private static string WorkerDll => Path.Combine(AppContext.BaseDirectory, "StreamingClusters.Worker.dll");

    private static long Option(string[] args, string name, long fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? long.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static long Number(Match match, string group) => long.Parse(match.Groups[group].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Done: version -?\d+, (?<applied>[\d,]+) points applied, (?<rejected>[\d,]+) rejected, (?<received>[\d,]+) received")]
    private static partial Regex Done();

    private sealed class Row(string name, DocumentTally tally)
    {
        public string Name { get; } = name;

        public DocumentTally Tally { get; } = tally;

        public long Applied { get; set; }

        public long Rejected { get; set; }

        public int Failures { get; set; }

        public TimeSpan Time { get; set; }

        public List<string> Violations { get; } = [];
    }

    /// <summary>Counts dead letters by reason class, and those without a reason.</summary>
    private sealed class CountingDeadLetterSink(ConcurrentDictionary<string, long> reasons) : IDeadLetterSink
    {
        private long _count;
        private long _blank;

        public long Count => Interlocked.Read(ref _count);

        public long Blank => Interlocked.Read(ref _blank);

        public void Write(in RejectedRecord record)
        {
            Interlocked.Increment(ref _count);
            if (string.IsNullOrWhiteSpace(record.Reason))
            {
                Interlocked.Increment(ref _blank);
            }

            reasons.AddOrUpdate(BodyFuzzer.ReasonClass(record.Reason), 1, (_, n) => n + 1);
        }

        public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
