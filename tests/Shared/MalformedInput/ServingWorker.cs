using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace StreamingClusters.MalformedInput;

/// <summary>
/// The real worker executable serving HTTP on an ephemeral loopback port, with no points of its own;
/// stopped with SIGTERM so that it drains, flushes its dead letters and prints its totals.
/// </summary>
internal sealed partial class ServingWorker : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;
    private readonly Task _reading;

    private ServingWorker(Process process, DirectoryInfo directory, Uri address, StringBuilder output, Task reading)
    {
        _process = process;
        _output = output;
        Directory = directory;
        _reading = reading;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
    }

    /// <summary>Gets the worker's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Gets a client whose base address is the worker's.</summary>
    public HttpClient Client { get; }

    /// <summary>Gets the worker's own directory (its dead-letter file, its input).</summary>
    public DirectoryInfo Directory { get; }

    /// <summary>Gets the dead-letter file.</summary>
    public string DeadLetterPath => Path.Combine(Directory.FullName, "dead.jsonl");

    /// <summary>Gets what the worker printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the worker.</summary>
    /// <param name="workerDll">The worker's dll.</param>
    /// <param name="dimensions">The dimension of the points.</param>
    /// <param name="hang">How long start-up may take before it counts as a hang.</param>
    /// <param name="extra">More switches; <c>--urls</c> among them replaces the ephemeral loopback port.</param>
    /// <returns>The running worker.</returns>
    public static async Task<ServingWorker> StartAsync(string workerDll, int dimensions, TimeSpan hang, params string[] extra)
    {
        DirectoryInfo directory = System.IO.Directory.CreateTempSubdirectory("sc-worker-");
        string input = Path.Combine(directory.FullName, "empty.csv");
        await File.WriteAllTextAsync(input, string.Empty).ConfigureAwait(false);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] args =
        [
            workerDll, .. extra.Contains("--urls") ? Array.Empty<string>() : ["--urls", "http://127.0.0.1:0"], "--input", input, "--clusters", "2", "--dimensions", dimensions.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--seed", "7", "--dead-letter", Path.Combine(directory.FullName, "dead.jsonl"), "--StreamingClusters:Seeding:BufferSize=8", .. extra,
        ];
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new StringBuilder();
        async Task ReadAsync(StreamReader reader)
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }

                if (Listening().Match(line) is { Success: true } match)
                {
                    // Bound to every interface, it is reached through loopback.
                    listening.TrySetResult(new Uri(match.Groups[1].Value.Replace("//0.0.0.0:", "//127.0.0.1:", StringComparison.Ordinal).Replace("//[::]:", "//[::1]:", StringComparison.Ordinal)));
                }
            }
        }

        Task reading = Task.WhenAll(ReadAsync(process.StandardOutput), ReadAsync(process.StandardError));
        Task? first = null;
        try
        {
            // Listening, or output ended (the worker exited): whichever comes first, bounded by the hang guard.
            first = await Task.WhenAny(listening.Task, reading).WaitAsync(hang).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        if (first != listening.Task)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"The worker did not listen: {output}");
        }

        return new ServingWorker(process, directory, await listening.Task.ConfigureAwait(false), output, reading);
    }

    /// <summary>Stops the worker with SIGTERM, as a service manager does, and waits for it to exit.</summary>
    /// <param name="hang">How long the drain may take before it counts as a hang.</param>
    /// <returns>The exit code and everything the worker printed.</returns>
    public async Task<(int ExitCode, string Output)> StopAsync(TimeSpan hang)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().ConfigureAwait(false);
        }

        using var timeout = new CancellationTokenSource(hang);
        await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        await _reading.WaitAsync(timeout.Token).ConfigureAwait(false);
        return (_process.ExitCode, Output);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().ConfigureAwait(false);
        _process.Dispose();
        Directory.Delete(recursive: true);
    }

    [GeneratedRegex(@"HTTP listening on (http://\S+)")]
    private static partial Regex Listening();
}
