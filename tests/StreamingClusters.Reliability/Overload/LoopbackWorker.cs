using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace StreamingClusters.Reliability.Overload;

/// <summary>
/// The real worker serving HTTP on an ephemeral loopback port, in a temporary directory of its own; its
/// address is read from the log line "HTTP listening on …". Stopping sends SIGTERM, as a service manager does.
/// </summary>
internal sealed partial class LoopbackWorker : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _dir;
    private readonly List<string> _output = [];
    private readonly List<string> _errors;

    private LoopbackWorker(Process process, DirectoryInfo dir, Uri address, List<string> errors)
    {
        _process = process;
        _errors = errors;
        _dir = dir;
        Address = address;
    }

    public Uri Address { get; }

    public int ProcessId => _process.Id;

    public string FinalSnapshotPath => Path.Combine(_dir.FullName, "final.json");

    /// <summary>Gets the worker's output lines so far.</summary>
    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_output)
            {
                return [.. _output];
            }
        }
    }

    /// <summary>Gets the worker's standard error lines so far.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>Starts the worker with no input of its own, writing its final snapshot to <see cref="FinalSnapshotPath"/>.</summary>
    public static async Task<LoopbackWorker> StartAsync(IEnumerable<string> settings)
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("sc-reliability-");
        string input = Path.Combine(dir.FullName, "empty.csv");
        await File.WriteAllTextAsync(input, string.Empty).ConfigureAwait(false);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = dir.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] args =
        [
            Path.Combine(AppContext.BaseDirectory, "StreamingClusters.Worker.dll"), "--urls", "http://127.0.0.1:0", "--input", input, "--quiet",
            "--snapshot-out", Path.Combine(dir.FullName, "final.json"), .. settings,
        ];
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        var errors = new List<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (errors)
                {
                    errors.Add(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        string? line;
        while ((line = await process.StandardOutput.ReadLineAsync(hang.Token).ConfigureAwait(false)) is not null)
        {
            Match match = Listening().Match(line);
            if (match.Success)
            {
                var worker = new LoopbackWorker(process, dir, new Uri(match.Groups[1].Value), errors);
                _ = worker.ReadOutputAsync();
                return worker;
            }
        }

        throw new InvalidOperationException($"The worker exited ({process.ExitCode}) without listening.");
    }

    /// <summary>Reads one field of /proc/&lt;pid&gt;/status in KiB (VmRSS, VmHWM), or a count (Threads).</summary>
    public long Status(string field) => ProcessStatus.Read(_process.Id, field);

    /// <summary>Stops the worker with SIGTERM and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().ConfigureAwait(false);
        }

        using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await _process.WaitForExitAsync(hang.Token).ConfigureAwait(false);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().ConfigureAwait(false);
        _process.Dispose();
        _dir.Delete(recursive: true);
    }

    private async Task ReadOutputAsync()
    {
        string? line;
        while ((line = await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false)) is not null)
        {
            lock (_output)
            {
                _output.Add(line);
            }
        }
    }

    [GeneratedRegex(@"HTTP listening on (\S+)")]
    private static partial Regex Listening();
}
