namespace StreamingClusters.Reliability;

/// <summary>
/// Long reliability runs (not part of the test suite): each mode prints its figures as a Markdown table.
/// <c>dotnet run -c Release --project tests/StreamingClusters.Reliability -- &lt;mode&gt; [options]</c>.
/// </summary>
internal static class Program
{
    private static readonly Dictionary<string, (string Summary, Func<string[], Task<int>> Run)> Modes = new(StringComparer.Ordinal)
    {
        // Each long run registers itself here: ["name"] = ("one line", args => SomeRun.RunAsync(args)),
        ["fuzz"] = ("damaged records through every parser and way in, exact accounting [--records 1000000 --seed 1]", Fuzz.FuzzRun.RunAsync),
        ["kills"] = ("SIGKILL the worker during ingestion and checkpoint writes, restart, check exact-once [--kills 200 --seed 1]", Kills.KillRun.RunAsync),
        ["soak"] = ("the worker over HTTP at full speed: memory, threads, fds at 1/5/10 min [--minutes 10]", Soak.SoakRun.RunAsync),
        ["subscribers"] = ("throughput with 0 vs 10 snapshot subscribers (one never reads, one throws), in process and over SSE", Subscribers.SubscribersRun.RunAsync),
        ["overload"] = ("producers far faster than the model, in process and over HTTP: 503s, memory, accepted == applied", Overload.OverloadRun.RunAsync),
    };

    private static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || !Modes.TryGetValue(args[0], out var mode))
        {
            Console.Error.WriteLine("usage: StreamingClusters.Reliability <mode> [options]");
            foreach (var (name, (summary, _)) in Modes.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                Console.Error.WriteLine($"  {name,-12} {summary}");
            }

            return 2;
        }

        return await mode.Run(args[1..]).ConfigureAwait(false);
    }
}
