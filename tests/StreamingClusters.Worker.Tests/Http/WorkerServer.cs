using System.Diagnostics;
using System.Text.RegularExpressions;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>
/// The real worker serving HTTP on an ephemeral loopback port (<c>--urls http://127.0.0.1:0</c>); the
/// bound address is read from its log line "HTTP listening on …". Disposing kills it.
/// </summary>
internal sealed partial class WorkerServer : IAsyncDisposable
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);
    private readonly Process _process;
    private readonly DirectoryInfo _dir;

    private WorkerServer(Process process, DirectoryInfo dir, Uri address)
    {
        _process = process;
        _dir = dir;
        Client = new HttpClient { BaseAddress = address, Timeout = Hang };
    }

    public HttpClient Client { get; }

    public string DeadLetterPath => Path.Combine(_dir.FullName, "dead.jsonl");

    /// <summary>Starts a worker with no points of its own (an empty input file), two clusters of two dimensions, seeded after 8 points.</summary>
    public static async Task<WorkerServer> StartAsync(params string[] extra)
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("sc-http-");
        string input = Path.Combine(dir.FullName, "empty.csv");
        await File.WriteAllTextAsync(input, string.Empty);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = dir.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] args =
        [
            WorkerProcess.WorkerDll, "--urls", "http://127.0.0.1:0", "--input", input, "--clusters", "2", "--dimensions", "2",
            "--batch-size", "4", "--seed", "7", "--dead-letter", Path.Combine(dir.FullName, "dead.jsonl"),
            "--StreamingClusters:Seeding:BufferSize=8", "--StreamingClusters:Http:IngestWait=00:00:05", .. extra,
        ];
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        using var hang = new CancellationTokenSource(Hang);
        string? line;
        while ((line = await process.StandardOutput.ReadLineAsync(hang.Token)) is not null)
        {
            Match match = Listening().Match(line);
            if (match.Success)
            {
                // Keep draining stdout so that the worker never blocks on a full pipe.
                _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                return new WorkerServer(process, dir, new Uri(match.Groups[1].Value));
            }
        }

        throw new InvalidOperationException($"The worker exited ({process.ExitCode}) without listening.");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        _dir.Delete(recursive: true);
    }

    [GeneratedRegex(@"HTTP listening on (\S+)")]
    private static partial Regex Listening();
}
