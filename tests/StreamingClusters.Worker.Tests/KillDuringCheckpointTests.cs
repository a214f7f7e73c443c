using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Checkpoints;

namespace StreamingClusters.Worker.Tests;

/// <summary>
/// Kills the real worker (SIGKILL) in the middle of checkpoint writes — with the temporary file half
/// written, complete but not in place, and between the two renames — and restarts it each time: the
/// checkpoint left behind always loads (from <c>.prev</c> when the kill fell between the renames), and
/// the finished run applied every good record once, rejected every bad one, and is bit-identical to an
/// uninterrupted run. The worker is held at each moment by its fault-test seam
/// (<see cref="CheckpointFaultPause"/>), so every kill lands where it is meant to.
/// </summary>
public sealed class KillDuringCheckpointTests : IDisposable
{
    private const int Rows = 60_000;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-kill-ckpt-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Run_KilledAtEveryStepOfCheckpointWrites_NeverLeavesACorruptCheckpointAndAppliesEveryRecordOnce()
    {
        string input = RestartScenario.WriteInput(_dir.FullName, Rows, seed: 23, out int bad);
        string reference = Path.Combine(_dir.FullName, "reference.json");
        WorkerProcess.Result uninterrupted = await WorkerProcess.RunAsync(_dir.FullName, null, RestartScenario.Args(input, reference, "reference.ckpt"));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Error);

        string final = Path.Combine(_dir.FullName, "final.json");
        var store = new CheckpointStore(Path.Combine(_dir.FullName, "model.ckpt"), NullLogger.Instance);
        var random = new Random(6);
        // The steps of CheckpointWriteStage, in write order, twice.
        string[] stages = ["TemporaryPartlyWritten", "TemporaryWritten", "PreviousMoved", "TemporaryPartlyWritten", "TemporaryWritten", "PreviousMoved"];
        long lastVersion = -1;
        foreach (string stage in stages)
        {
            string? paused = await RunUntilPausedAsync($"{stage}:{random.Next(1, 4)}", RestartScenario.Args(input, final, "model.ckpt"));
            Assert.NotNull(paused);

            // What the kill left: the checkpoint in place (or, between the renames, only .prev) always loads.
            Assert.Equal(stage == "PreviousMoved", !File.Exists(store.Path));
            Assert.True(File.Exists(store.Path + ".tmp"));
            if (stage == "TemporaryPartlyWritten")
            {
                Assert.Throws<CheckpointException>(() => new CheckpointStore(store.Path + ".tmp", NullLogger.Instance).Load());
            }

            Checkpoint? survived = store.Load();
            long version = survived?.Model.Version ?? -1;
            Assert.True(version >= lastVersion, $"The run went back from version {lastVersion} to {version}.");
            lastVersion = version;
        }

        WorkerProcess.Result finish = await WorkerProcess.RunAsync(_dir.FullName, null, RestartScenario.Args(input, final, "model.ckpt"));
        Assert.True(finish.ExitCode == 0, finish.Error);
        RestartScenario.AssertExactlyOnce(reference, final, Rows, bad);
    }

    /// <summary>Runs the worker held at a checkpoint step, kills it there, and returns the line it announced (null if it finished first).</summary>
    private async Task<string?> RunUntilPausedAsync(string pause, string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _dir.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { [CheckpointFaultPause.Variable] = pause },
        };
        start.ArgumentList.Add(WorkerProcess.WorkerDll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        Task drain = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        string? line;
        while ((line = await process.StandardError.ReadLineAsync(hang.Token)) is not null)
        {
            if (line.StartsWith("checkpoint-paused ", StringComparison.Ordinal))
            {
                process.Kill();
                break;
            }
        }

        await process.WaitForExitAsync(hang.Token);
        await drain;
        return line;
    }
}
