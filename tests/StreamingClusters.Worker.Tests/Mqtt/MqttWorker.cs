using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace StreamingClusters.Worker.Tests.Mqtt;

/// <summary>
/// The real worker reading from a broker and serving HTTP on an ephemeral loopback port (for /healthz);
/// its log lines can be awaited, and it can be stopped (SIGTERM) or killed (SIGKILL).
/// </summary>
internal sealed partial class MqttWorker : IAsyncDisposable
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(3);
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<(string Text, int Occurrence, TaskCompletionSource<string> Seen)> _awaited = [];
    private readonly Task _reading;
    private HttpClient? _client;
    private readonly TaskCompletionSource<Uri> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MqttWorker(Process process)
    {
        _process = process;
        _reading = Task.WhenAll(ReadAsync(process.StandardError), ReadAsync(process.StandardOutput));
    }

    public static async Task<MqttWorker> StartAsync(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(WorkerProcess.WorkerDll);
        foreach (string arg in args.Concat(["--urls", "http://127.0.0.1:0"]))
        {
            start.ArgumentList.Add(arg);
        }

        var worker = new MqttWorker(Process.Start(start)!);
        Uri address = await worker._address.Task.WaitAsync(Hang);
        worker._client = new HttpClient { BaseAddress = address, Timeout = Hang };
        return worker;
    }

    /// <summary>Gets everything the worker printed so far, one line each.</summary>
    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>Completes with the <paramref name="occurrence"/>-th line (from 1) that contains <paramref name="text"/>.</summary>
    public Task<string> LineAsync(string text, int occurrence = 1)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            List<string> matches = _lines.FindAll(l => l.Contains(text, StringComparison.Ordinal));
            if (matches.Count >= occurrence)
            {
                seen.SetResult(matches[occurrence - 1]);
            }
            else
            {
                _awaited.Add((text, occurrence - matches.Count, seen));
            }
        }

        return seen.Task.WaitAsync(Hang);
    }

    /// <summary>Reads /healthz until <paramref name="awaited"/> holds (a gate on the worker's own counters).</summary>
    public async Task<JsonElement> HealthUntilAsync(Func<JsonElement, bool> awaited)
    {
        using var hang = new CancellationTokenSource(Hang);
        while (true)
        {
            using HttpResponseMessage health = await _client!.GetAsync(new Uri("/healthz", UriKind.Relative), hang.Token);
            JsonElement answer = await health.Content.ReadFromJsonAsync<JsonElement>(hang.Token);
            if (awaited(answer))
            {
                return answer;
            }

            // Between two reads of the counters; the wait is bounded by the gate, not by this pause.
            await Task.Delay(TimeSpan.FromMilliseconds(20), hang.Token);
        }
    }

    /// <summary>Gets the MQTT source's counters from a /healthz answer.</summary>
    public static JsonElement Source(JsonElement health) => health.GetProperty("mqtt").EnumerateArray().First(c => c.GetProperty("name").GetString() != "publisher");

    /// <summary>Stops the worker as a service manager does (SIGTERM) and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var hang = new CancellationTokenSource(Hang);
        await _process.WaitForExitAsync(hang.Token);
        await _reading.WaitAsync(hang.Token);
        return _process.ExitCode;
    }

    /// <summary>Kills the worker (SIGKILL): no drain, no final checkpoint, no acknowledgement.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        using var hang = new CancellationTokenSource(Hang);
        await _process.WaitForExitAsync(hang.Token);
    }

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task ReadAsync(StreamReader reader)
    {
        string? line;
        while ((line = await reader.ReadLineAsync()) is not null)
        {
            if (Listening().Match(line) is { Success: true } match)
            {
                _address.TrySetResult(new Uri(match.Groups[1].Value));
            }

            lock (_lines)
            {
                _lines.Add(line);
                for (int i = _awaited.Count - 1; i >= 0; i--)
                {
                    (string text, int remaining, TaskCompletionSource<string> seen) = _awaited[i];
                    if (line.Contains(text, StringComparison.Ordinal))
                    {
                        if (remaining == 1)
                        {
                            seen.TrySetResult(line);
                            _awaited.RemoveAt(i);
                        }
                        else
                        {
                            _awaited[i] = (text, remaining - 1, seen);
                        }
                    }
                }
            }
        }

        _address.TrySetException(new InvalidOperationException("The worker exited without listening:\n" + Output));
    }

    [GeneratedRegex(@"HTTP listening on (http://\S+)")]
    private static partial Regex Listening();
}
