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
        string input = RestartScenario.WriteInput(_dir.FullName, Rows, seed: 17, out int bad);
        string reference = Path.Combine(_dir.FullName, "reference.json");
        WorkerProcess.Result uninterrupted = await WorkerProcess.RunAsync(_dir.FullName, null, RestartScenario.Args(input, reference, "reference.ckpt"));
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

            WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, p => running = p, RestartScenario.Args(input, final, "model.ckpt"));
            if (run.ExitCode == 0)
            {
                break;
            }

            Assert.True(killed, $"The worker failed without being killed (exit {run.ExitCode}): {run.Error}");
            kills++;
        }

        Assert.True(kills >= 3, $"Only {kills} kills landed; the test did not exercise restarts.");
        RestartScenario.AssertExactlyOnce(reference, final, Rows, bad);
    }
}
