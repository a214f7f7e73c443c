using System.Diagnostics;
using System.Text;

namespace StreamingClusters.Worker.Tests;

/// <summary>Runs the real worker executable and collects what it prints.</summary>
internal static class WorkerProcess
{
    /// <summary>A bound on a run that hangs, so a broken build fails instead of stalling CI; no test measures time.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(3);

    public static string WorkerDll => Path.Combine(AppContext.BaseDirectory, "StreamingClusters.Worker.dll");

    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StreamingClusters.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("The repository root was not found above the test's directory.");
        }
    }

    public static Task<Result> RunAsync(string workingDirectory, string? standardInput, params string[] args) =>
        RunAsync(workingDirectory, standardInput, null, args);

    /// <summary>Runs the worker; <paramref name="started"/> is handed the running process (to kill it).</summary>
    public static Task<Result> RunAsync(string workingDirectory, string? standardInput, Action<Process>? started, params string[] args) =>
        RunAsync(workingDirectory, standardInput, started, environment: null, args);

    /// <summary>Runs the worker with environment variables set.</summary>
    public static Task<Result> RunWithEnvironmentAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunAsync(workingDirectory, null, null, environment, args);

    private static async Task<Result> RunAsync(string workingDirectory, string? standardInput, Action<Process>? started, IReadOnlyDictionary<string, string>? environment, string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(WorkerDll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        started?.Invoke(process);
        var output = new StringBuilder();
        var error = new StringBuilder();
        Task reading = Task.WhenAll(
            CopyAsync(process.StandardOutput, output),
            CopyAsync(process.StandardError, error));
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        using var hang = new CancellationTokenSource(Hang);
        await process.WaitForExitAsync(hang.Token);
        await reading;
        return new Result(process.ExitCode, output.ToString(), error.ToString());
    }

    private static async Task CopyAsync(StreamReader reader, StringBuilder into)
    {
        char[] buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
        {
            into.Append(buffer, 0, n);
        }
    }

    public sealed record Result(int ExitCode, string Output, string Error);
}
