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
        string input = WriteInput(out int bad);
        string reference = Path.Combine(_dir.FullName, "reference.json");
        WorkerProcess.Result uninterrupted = await WorkerProcess.RunAsync(_dir.FullName, null, Args(input, reference, "reference.ckpt"));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Error);

        string final = Path.Combine(_dir.FullName, "final.json");
        var store = new CheckpointStore(Path.Combine(_dir.FullName, "model.ckpt"), NullLogger.Instance);
        var random = new Random(6);
        // The steps of CheckpointWriteStage, in write order, twice.
        string[] stages = ["TemporaryPartlyWritten", "TemporaryWritten", "PreviousMoved", "TemporaryPartlyWritten", "TemporaryWritten", "PreviousMoved"];
        long lastVersion = -1;
        foreach (string stage in stages)
        {
            string? paused = await RunUntilPausedAsync($"{stage}:{random.Next(1, 4)}", Args(input, final, "model.ckpt"));
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

        WorkerProcess.Result finish = await WorkerProcess.RunAsync(_dir.FullName, null, Args(input, final, "model.ckpt"));
        Assert.True(finish.ExitCode == 0, finish.Error);
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllBytes(reference));
        using JsonDocument actual = JsonDocument.Parse(File.ReadAllBytes(final));
        Assert.Equal(Rows - bad, actual.RootElement.GetProperty("pointsApplied").GetInt64());
        Assert.Equal(bad, actual.RootElement.GetProperty("pointsRejected").GetInt64());
        Assert.Equal(Rows, actual.RootElement.GetProperty("pointsReceived").GetInt64());
        foreach (string field in new[] { "version", "centroids", "weights", "counts", "inertia" })
        {
            Assert.Equal(expected.RootElement.GetProperty(field).GetRawText(), actual.RootElement.GetProperty(field).GetRawText());
        }
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

    private static string[] Args(string input, string snapshot, string checkpoint) =>
    [
        "--input", input, "--clusters", "6", "--seed", "3", "--half-life", "30000points", "--quiet",
        "--batch-timeout", "01:00:00", "--checkpoint", checkpoint, "--checkpoint-interval", "0", "--snapshot-out", snapshot,
    ];

    private string WriteInput(out int bad)
    {
        var random = new Random(23);
        var text = new StringBuilder("a,b,c,d\n");
        bad = 0;
        for (int i = 0; i < Rows; i++)
        {
            if (random.Next(100) == 0)
            {
                text.Append(random.Next(2) == 0 ? "x,1,2,3\n" : "1,2\n");
                bad++;
                continue;
            }

            int c = random.Next(6);
            for (int j = 0; j < 4; j++)
            {
                text.Append((c * 7 * (j + 1) % 23) + random.NextDouble()).Append(j < 3 ? ',' : '\n');
            }
        }

        string path = Path.Combine(_dir.FullName, "input.csv");
        File.WriteAllText(path, text.ToString(), Encoding.UTF8);
        return path;
    }
}
