using System.Diagnostics;
using System.Text.RegularExpressions;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>
/// The real worker serving HTTP on an ephemeral loopback port (<c>--urls http://127.0.0.1:0</c>); the
/// bound address is read from its log line "HTTP listening on …" (logs go to standard error, the
/// summary to standard output; both are kept). Disposing kills it.
/// </summary>
internal sealed partial class WorkerServer : IAsyncDisposable
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);
    private readonly Process _process;
    private readonly DirectoryInfo _dir;
    private readonly List<(string Text, TaskCompletionSource<string> Seen)> _awaited = [];
    private readonly List<string> _output = [];

    private WorkerServer(Process process, DirectoryInfo dir, Uri address)
    {
        _process = process;
        _dir = dir;
        Client = new HttpClient { BaseAddress = address, Timeout = Hang };
    }

    public HttpClient Client { get; }

    public string DeadLetterPath => Path.Combine(_dir.FullName, "dead.jsonl");

    /// <summary>Gets the path of <paramref name="name"/> in the worker's own temporary directory.</summary>
    public string PathOf(string name) => Path.Combine(_dir.FullName, name);

    /// <summary>Gets the worker's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Starts a worker with no points of its own (an empty input file), two clusters of two dimensions, seeded after 8 points.</summary>
    public static Task<WorkerServer> StartAsync(params string[] extra) => StartAsync(environment: null, extra);

    /// <summary>
    /// Starts a worker as <see cref="StartAsync(string[])"/> does, with environment variables set; when
    /// they hold the address (<c>ASPNETCORE_URLS</c>, <c>DOTNET_URLS</c>), no <c>--urls</c> is passed.
    /// </summary>
    public static async Task<WorkerServer> StartAsync(IReadOnlyDictionary<string, string>? environment, params string[] extra)
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
        bool addressInEnvironment = environment is not null && environment.Keys.Any(k => k.EndsWith("URLS", StringComparison.OrdinalIgnoreCase));
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        string[] urls = addressInEnvironment ? [] : ["--urls", "http://127.0.0.1:0"];
        string[] args =
        [
            WorkerProcess.WorkerDll, .. urls, "--input", input, "--clusters", "2", "--dimensions", "2",
            "--batch-size", "4", "--seed", "7", "--dead-letter", Path.Combine(dir.FullName, "dead.jsonl"),
            "--StreamingClusters:Seeding:BufferSize=8", "--StreamingClusters:Http:IngestWait=00:00:05", .. extra,
        ];
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        using var hang = new CancellationTokenSource(Hang);
        string? line;
        while ((line = await process.StandardError.ReadLineAsync(hang.Token)) is not null)
        {
            Match match = Listening().Match(line);
            if (match.Success)
            {
                var server = new WorkerServer(process, dir, new Uri(match.Groups[1].Value));
                // Keep draining both so that the worker never blocks on a full pipe.
                _ = server.ReadOutputAsync(process.StandardError);
                _ = server.ReadOutputAsync(process.StandardOutput);
                return server;
            }
        }

        throw new InvalidOperationException($"The worker exited ({process.ExitCode}) without listening.");
    }

    /// <summary>Completes with the first line of the worker's output that contains <paramref name="text"/>.</summary>
    public Task<string> OutputLineAsync(string text)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            if (_output.Find(l => l.Contains(text, StringComparison.Ordinal)) is { } line)
            {
                seen.SetResult(line);
            }
            else
            {
                _awaited.Add((text, seen));
            }
        }

        return seen.Task.WaitAsync(Hang);
    }

    /// <summary>Stops the worker as a service manager does (SIGTERM) and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var hang = new CancellationTokenSource(Hang);
        await _process.WaitForExitAsync(hang.Token);
        return _process.ExitCode;
    }

    private async Task ReadOutputAsync(StreamReader reader)
    {
        string? line;
        while ((line = await reader.ReadLineAsync()) is not null)
        {
            lock (_output)
            {
                _output.Add(line);
                foreach (var awaited in _awaited.Where(a => line.Contains(a.Text, StringComparison.Ordinal)).ToList())
                {
                    awaited.Seen.TrySetResult(line);
                    _awaited.Remove(awaited);
                }
            }
        }
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
