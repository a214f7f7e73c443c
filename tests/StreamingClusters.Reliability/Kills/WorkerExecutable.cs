using System.Diagnostics;

namespace StreamingClusters.Reliability.Kills;

/// <summary>Starts the real worker (built beside this harness through its project reference) as a process of its own.</summary>
internal static class WorkerExecutable
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "StreamingClusters.Worker.dll");

    /// <summary>Starts the worker with its output redirected; the caller reads it and waits for the exit.</summary>
    public static Process Start(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Dll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Sends SIGTERM, the way a service manager stops the worker (it drains and writes its final checkpoint).</summary>
    public static void Terminate(Process process)
    {
        using Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }
}
