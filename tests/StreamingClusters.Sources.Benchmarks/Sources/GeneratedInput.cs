using System.Globalization;
using System.Text;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Sinks;
using StreamingClusters.Sources;

namespace StreamingClusters.Benchmarks.Sources;

/// <summary>A generated input file of random values, and a run of a source over it into a drained ingest stage.</summary>
internal static class GeneratedInput
{
    /// <summary>Writes <paramref name="rows"/> × <paramref name="columns"/> values in (−100, 100), shortest round-trip float text.</summary>
    public static string Write(RecordFormat format, int rows, int columns, int seed = 1)
    {
        string path = Path.Combine(Path.GetTempPath(), $"streamingclusters-bench-{rows}x{columns}{(format == RecordFormat.Csv ? ".csv" : ".jsonl")}");
        var rng = new Random(seed);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        var line = new StringBuilder();
        if (format == RecordFormat.Csv)
        {
            writer.Write(string.Join(',', Enumerable.Range(0, columns).Select(c => $"c{c}")));
            writer.Write('\n');
        }

        for (int r = 0; r < rows; r++)
        {
            line.Clear();
            line.Append(format == RecordFormat.Csv ? "" : "{");
            for (int c = 0; c < columns; c++)
            {
                string value = ((float)((rng.NextDouble() * 200) - 100)).ToString("R", CultureInfo.InvariantCulture);
                if (c > 0)
                {
                    line.Append(',');
                }

                line.Append(format == RecordFormat.Csv ? value : $"\"c{c}\":{value}");
            }

            line.Append(format == RecordFormat.Csv ? "\n" : "}\n");
            writer.Write(line);
        }

        return path;
    }

    /// <summary>Reads the whole file through a FileSource into an ingest stage whose blocks are drained and returned.</summary>
    /// <returns>The points that came out.</returns>
    public static async Task<long> RunSourceAsync(string path, RecordFormat format, int parallelism = 0)
    {
        // The drain below does not hand blocks back to the channel's budget: give it room for every point.
        var options = new StreamingClustersOptions { ChannelCapacity = int.MaxValue, Parallelism = parallelism };
        var source = PointSourceFactory.Create(new SourceOptions { Path = path, Format = format }, 0, options);
        var stage = new IngestStage(options, NoDeadLetters.Instance);
        SourceIngest ingest = stage.Open(source.Name);
        Task<long> drain = DrainAsync(stage);
        await source.RunAsync(ingest, CancellationToken.None).ConfigureAwait(false);
        stage.Complete();
        long points = await drain.ConfigureAwait(false);
        return ingest.Counters.Rejected == 0 ? points : throw new InvalidOperationException("The generated input had rejected records.");
    }

    private static async Task<long> DrainAsync(IngestStage stage)
    {
        long points = 0;
        while (await stage.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (stage.Reader.TryRead(out PointBlock? block))
            {
                points += block.Count;
                block.Return();
            }
        }

        return points;
    }

    private sealed class NoDeadLetters : IDeadLetterSink
    {
        public static readonly NoDeadLetters Instance = new();

        public void Write(in RejectedRecord record)
        {
        }

        public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
