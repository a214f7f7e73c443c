using StreamingClusters.Options;

namespace StreamingClusters.Worker;

/// <summary>What the worker's switches change beyond plain settings: the input replaces the configured sources.</summary>
internal static class WorkerSettings
{
    /// <summary>Applies the switches that do more than set one value.</summary>
    /// <param name="options">The bound options.</param>
    /// <param name="switches">The parsed switches.</param>
    /// <param name="serving">Whether HTTP is on: the worker is then a service that runs until stopped.</param>
    public static void Apply(StreamingClustersOptions options, CommandLineSwitches switches, bool serving)
    {
        if (switches.Input is { } input)
        {
            string format = switches.Format ?? InputCheck.GuessFormat(input);
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

        // A worker whose sources all end finishes when they have been drained; one that follows a file,
        // or serves HTTP, runs until stopped.
        // A message source (MQTT) never ends on its own either.
        options.StopWhenSourcesEnd = !serving && options.Sources.Count > 0 && options.Sources.All(s => !s.Follow && s.Kind == SourceKind.File);
        CheckpointFaultPause.Apply(options);
    }
}
