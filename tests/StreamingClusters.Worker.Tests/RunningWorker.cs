using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace StreamingClusters.Worker.Tests;

/// <summary>
/// The real worker, started and left running: its standard input stays open, its standard error is
/// watched line by line (to act once it has said something), and it can be sent a signal.
/// </summary>
internal sealed class RunningWorker : IAsyncDisposable
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(3);
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<string> _errorLines = [];
    private readonly List<(string Text, TaskCompletionSource<string> Seen)> _awaited = [];
    private readonly Task _reading;

    private RunningWorker(Process process)
    {
        _process = process;
        _reading = Task.WhenAll(ReadOutputAsync(), ReadErrorAsync());
    }

    /// <summary>Gets the worker's standard input.</summary>
    public StreamWriter Input => _process.StandardInput;

    public static RunningWorker Start(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(WorkerProcess.WorkerDll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new RunningWorker(Process.Start(start)!);
    }

    /// <summary>Completes with the first line of standard error that contains <paramref name="text"/>.</summary>
    public Task<string> ErrorLineAsync(string text)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_errorLines)
        {
            if (_errorLines.Find(l => l.Contains(text, StringComparison.Ordinal)) is { } line)
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

    /// <summary>Sends <paramref name="signal"/> (INT, TERM) as a terminal or a service manager does.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    /// <summary>Waits for the worker to exit and returns what it printed.</summary>
    public async Task<WorkerProcess.Result> ExitAsync()
    {
        using var hang = new CancellationTokenSource(Hang);
        await _process.WaitForExitAsync(hang.Token);
        await _reading.WaitAsync(hang.Token);
        lock (_errorLines)
        {
            return new WorkerProcess.Result(_process.ExitCode, _output.ToString(), string.Concat(_errorLines.Select(l => l + "\n")));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task ReadOutputAsync()
    {
        char[] buffer = new char[4096];
        int n;
        while ((n = await _process.StandardOutput.ReadAsync(buffer)) > 0)
        {
            _output.Append(buffer, 0, n);
        }
    }

    private async Task ReadErrorAsync()
    {
        string? line;
        while ((line = await _process.StandardError.ReadLineAsync()) is not null)
        {
            lock (_errorLines)
            {
                _errorLines.Add(line);
                foreach (var awaited in _awaited.Where(a => line.Contains(a.Text, StringComparison.Ordinal)).ToList())
                {
                    awaited.Seen.TrySetResult(line);
                    _awaited.Remove(awaited);
                }
            }
        }
    }
}
