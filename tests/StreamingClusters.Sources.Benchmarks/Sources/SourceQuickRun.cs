using System.Diagnostics;
using System.Globalization;
using StreamingClusters.Options;

namespace StreamingClusters.Benchmarks.Sources;

/// <summary>A Stopwatch run of the file sources that prints MB/s and records/s directly.</summary>
internal static class SourceQuickRun
{
    public static async Task RunAsync(string[] args)
    {
        int rows = 1_000_000;
        int columns = 16;
        int repeat = 5;
        string? file = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rows":
                    rows = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--columns":
                    columns = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--csv":
                    file = args[++i];
                    break;
                case "--repeat":
                    repeat = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        // Each format read line by line (one parse thread), then in parallel chunks (every core); then the
        // CSV file read by Sep + csFastFloat, one thread, as a reference. --csv FILE reads that file instead
        // of generated ones (CSV only; it must have a header and be all numbers).
        (RecordFormat Format, int Parallelism)[] runs = file is null
            ?
            [
                (RecordFormat.Csv, 1), (RecordFormat.Csv, Environment.ProcessorCount), (RecordFormat.Csv, 0),
                (RecordFormat.JsonLines, 1), (RecordFormat.JsonLines, Environment.ProcessorCount),
            ]
            : [(RecordFormat.Csv, 1), (RecordFormat.Csv, Environment.ProcessorCount), (RecordFormat.Csv, 0)];
        foreach ((RecordFormat format, int parallelism) in runs)
        {
            string path = file ?? GeneratedInput.Write(format, rows, columns);
            try
            {
                long bytes = new FileInfo(path).Length;
                long expected = parallelism == 0 ? SepBaseline.Run(path) : await GeneratedInput.RunSourceAsync(path, format, parallelism); // warm-up, and the file into the page cache
                var times = new List<double>();
                var cpu = new List<double>();
                using var process = Process.GetCurrentProcess();
                for (int r = 0; r < repeat; r++)
                {
                    process.Refresh();
                    TimeSpan cpuBefore = process.TotalProcessorTime;
                    var clock = Stopwatch.StartNew();
                    long points = parallelism == 0 ? SepBaseline.Run(path) : await GeneratedInput.RunSourceAsync(path, format, parallelism);
                    times.Add(clock.Elapsed.TotalSeconds);
                    process.Refresh();
                    cpu.Add((process.TotalProcessorTime - cpuBefore).TotalSeconds);
                    if (points != expected || (file is null && points != rows))
                    {
                        throw new InvalidOperationException($"Read {points} points of {expected}.");
                    }
                }

                times.Sort();
                cpu.Sort();
                double median = times[times.Count / 2];
                double best = times[0];
                string reader = parallelism == 0 ? "Sep + csFastFloat, 1 thread" : $"parse threads {parallelism}";
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{format,-9} {reader}, {expected:N0} records, {bytes / 1e6:F1} MB: wall median {median:F3} s = {bytes / 1e6 / median:F0} MB/s, {expected / median / 1e6:F2} M records/s; best {best:F3} s = {bytes / 1e6 / best:F0} MB/s, {expected / best / 1e6:F2} M records/s; CPU median {cpu[cpu.Count / 2]:F3} s, best {cpu[0]:F3} s (all threads)"));
            }
            finally
            {
                if (file is null)
                {
                    File.Delete(path);
                }
            }
        }
    }
}
