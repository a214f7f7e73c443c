using StreamingClusters.Options;

namespace StreamingClusters.Worker;

/// <summary>What the worker's switches change beyond plain settings: the input replaces the configured sources.</summary>
internal static class WorkerSettings
{
    /// <summary>Applies the switches that do more than set one value.</summary>
    /// <param name="options">The bound options.</param>
    /// <param name="switches">The parsed switches.</param>
    public static void Apply(StreamingClustersOptions options, CommandLineSwitches switches)
    {
        if (switches.Input is { } input)
        {
            string format = switches.Format ?? (input.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || input.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase) ? "jsonl" : "csv");
            options.Sources =
            [
                new SourceOptions
                {
                    Path = input,
                    Format = format == "csv" ? RecordFormat.Csv : RecordFormat.JsonLines,
                    Columns = switches.Columns?.ToList() ?? [],
                    HasHeader = switches.NoHeader ? false : null,
                    Follow = switches.Follow,
                },
            ];
        }
        else if (switches.Columns is { } columns)
        {
            foreach (SourceOptions source in options.Sources)
            {
                source.Columns = [.. columns];
            }
        }

        // A worker whose sources all end finishes when they have been drained; one that follows a file runs until stopped.
        options.StopWhenSourcesEnd = options.Sources.Count > 0 && options.Sources.All(s => !s.Follow);
    }
}
