using BenchmarkDotNet.Running;
using StreamingClusters.Benchmarks.Sources;

namespace StreamingClusters.Benchmarks;

internal static class Program
{
    /// <summary>
    /// <c>--quick [--rows N] [--columns D] [--repeat R] [--csv FILE]</c> runs the Stopwatch runner over a generated
    /// CSV and JSON lines file; anything else goes to BenchmarkDotNet's switcher (<c>--filter</c>, <c>--job</c>, …).
    /// </summary>
    private static async Task Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--quick")
        {
            await SourceQuickRun.RunAsync(args[1..]);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
