using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Checkpoints;

namespace StreamingClusters.Worker.Tests;

/// <summary>
/// Stops the real worker (SIGTERM) with a backlog far larger than it can apply within a shutdown
/// time-out of zero: the drain is abandoned on purpose, so the worker exits with 1 (not an abort),
/// writes the final snapshot of what it applied, says how many accepted points it left, and a restart
/// from its checkpoint applies every record exactly once.
/// </summary>
public sealed partial class ShutdownTimeoutTests : IDisposable
{
    private const int Rows = 400_000;
    private const int Dimensions = 16;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-shutdown-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Run_StoppedWithABacklogPastTheShutdownTimeout_ExitsWithOneAndWritesTheSnapshotOfWhatWasApplied()
    {
        string input = WriteInput();
        string snapshot = Path.Combine(_dir.FullName, "final.json");
        string checkpoint = Path.Combine(_dir.FullName, "model.ckpt");
        string[] args =
        [
            WorkerProcess.WorkerDll, "--input", input, "--no-header", "--clusters", "512", "--seed", "5",
            "--snapshot-out", snapshot, "--checkpoint", checkpoint, "--checkpoint-interval", "0",
            "--StreamingClusters:ChannelCapacity=8192", "--HostOptions:ShutdownTimeout=00:00:00",
        ];

        (int exitCode, string output) = await RunAndStopOnceSeededAsync(args);

        Assert.True(exitCode == 1, $"exit code {exitCode}:\n{output}");
        Match left = LeftUnapplied().Match(output);
        Assert.True(left.Success, output);
        long unapplied = long.Parse(left.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(unapplied > 0);
        using JsonDocument final = JsonDocument.Parse(File.ReadAllBytes(snapshot));
        long applied = final.RootElement.GetProperty("pointsApplied").GetInt64();
        Assert.True(final.RootElement.GetProperty("isFinal").GetBoolean());
        Assert.Equal(final.RootElement.GetProperty("pointsReceived").GetInt64(), applied + unapplied);
        Assert.True(applied + unapplied < Rows, "the stop landed before the whole file was read");
        Checkpoint? kept = new CheckpointStore(checkpoint, NullLogger.Instance).Load();
        Assert.NotNull(kept);
        Assert.True(kept.Model.PointsApplied <= applied);
        Assert.Equal(kept.Model.PointsApplied, kept.Sources.Sum(s => s.Applied));

        // The file is replayable: the restart resumes where the checkpoint was taken and applies the rest once.
        WorkerProcess.Result resumed = await WorkerProcess.RunAsync(_dir.FullName, null, args[1..^1]);
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        using JsonDocument all = JsonDocument.Parse(File.ReadAllBytes(snapshot));
        Assert.Equal(Rows, all.RootElement.GetProperty("pointsApplied").GetInt64());
    }

    /// <summary>Runs the worker, sends SIGTERM once it has seeded (its queue then full), and returns its exit code and output.</summary>
    private async Task<(int ExitCode, string Output)> RunAndStopOnceSeededAsync(string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _dir.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        Task summary = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        bool stopped = false;
        string? line;
        while ((line = await process.StandardError.ReadLineAsync(hang.Token)) is not null)
        {
            output.AppendLine(line);
            if (!stopped && line.Contains("Seeded 512 centroids", StringComparison.Ordinal))
            {
                using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
                {
                    await kill.WaitForExitAsync(hang.Token);
                }

                stopped = true;
            }
        }

        await process.WaitForExitAsync(hang.Token);
        await summary;
        Assert.True(stopped, $"The worker never seeded:\n{output}");
        return (process.ExitCode, output.ToString());
    }

    private string WriteInput()
    {
        string path = Path.Combine(_dir.FullName, "points.csv");
        var random = new Random(8);
        var text = new StringBuilder();
        for (int i = 0; i < Rows; i++)
        {
            for (int j = 0; j < Dimensions; j++)
            {
                text.Append(j == 0 ? string.Empty : ",").Append((random.NextDouble() * 10).ToString("F3", CultureInfo.InvariantCulture));
            }

            text.Append('\n');
        }

        File.WriteAllText(path, text.ToString());
        return path;
    }

    [GeneratedRegex(@"(\d+) accepted points were left unapplied")]
    private static partial Regex LeftUnapplied();
}
