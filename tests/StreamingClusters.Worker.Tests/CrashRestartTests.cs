using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace StreamingClusters.Worker.Tests;

/// <summary>
/// Kills the real worker (SIGKILL) at random points while it ingests a file and checkpoints, restarts
/// it until the file is done, and checks that every good record was applied exactly once and that the
/// final model is bit-identical to an uninterrupted run's.
/// </summary>
public sealed class CrashRestartTests : IDisposable
{
    private const int Rows = 120_000;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-crash-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Run_KilledAtRandomPointsAndRestarted_AppliesEveryGoodRecordOnceAndMatchesAnUninterruptedRun()
    {
        string input = WriteInput(out int bad);
        string reference = Path.Combine(_dir.FullName, "reference.json");
        WorkerProcess.Result uninterrupted = await WorkerProcess.RunAsync(_dir.FullName, null, Args(input, reference, "reference.ckpt"));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Error);

        string final = Path.Combine(_dir.FullName, "final.json");
        var random = new Random(2026);
        int kills = 0;
        int runs = 0;
        while (true)
        {
            runs++;
            Assert.True(runs < 60, "The worker did not finish the file in 60 runs.");
            int killAfter = random.Next(4, 30);
            using var watcher = new FileSystemWatcher(_dir.FullName, "model.ckpt") { NotifyFilter = NotifyFilters.FileName };
            int written = 0;
            Process? running = null;
            bool killed = false;
            watcher.Renamed += (_, _) =>
            {
                // Each rename puts a new checkpoint in place: the kill lands somewhere after the killAfter-th.
                if (Interlocked.Increment(ref written) == killAfter && running is { } process)
                {
                    try
                    {
                        process.Kill();
                        killed = true;
                    }
                    catch (InvalidOperationException)
                    {
                        // It had already finished.
                    }
                }
            };
            watcher.EnableRaisingEvents = true;

            WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, p => running = p, Args(input, final, "model.ckpt"));
            if (run.ExitCode == 0)
            {
                break;
            }

            Assert.True(killed, $"The worker failed without being killed (exit {run.ExitCode}): {run.Error}");
            kills++;
        }

        Assert.True(kills >= 3, $"Only {kills} kills landed; the test did not exercise restarts.");
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

    private static string[] Args(string input, string snapshot, string checkpoint) =>
    [
        "--input", input, "--clusters", "6", "--seed", "3", "--half-life", "30000points", "--quiet",
        "--batch-timeout", "01:00:00", "--checkpoint", checkpoint, "--checkpoint-interval", "0", "--snapshot-out", snapshot,
    ];

    private string WriteInput(out int bad)
    {
        var random = new Random(17);
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
