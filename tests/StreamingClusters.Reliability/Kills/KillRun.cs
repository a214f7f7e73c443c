using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Checkpoints;

namespace StreamingClusters.Reliability.Kills;

/// <summary>
/// Kills the real worker with SIGKILL again and again while it ingests a file and checkpoints after
/// every batch, restarting it each time. Half the kills land at a random moment; the other half at a
/// chosen step of a checkpoint write (temporary file half written, complete, or between the two renames),
/// where the worker's fault-test seam (STREAMINGCLUSTERS_FAULT_CHECKPOINT_PAUSE) holds it. After every
/// kill the checkpoint left behind must load; each time the file is finished the run must have applied
/// every good record once, rejected every bad one, and match an uninterrupted run bit for bit; then a
/// new round starts from nothing. <c>kills [--kills 200] [--seed 1] [--rows 120000]</c>.
/// </summary>
internal static class KillRun
{
    private static readonly string[] Stages = ["TemporaryPartlyWritten", "TemporaryWritten", "PreviousMoved"];

    public static async Task<int> RunAsync(string[] args)
    {
        int kills = (int)Soak.SoakRun.Option(args, "--kills", 200);
        int seed = (int)Soak.SoakRun.Option(args, "--seed", 1);
        int rows = (int)Soak.SoakRun.Option(args, "--rows", 120_000);
        DirectoryInfo dir = Directory.CreateTempSubdirectory("sc-kills-");
        string input = WriteInput(dir.FullName, rows, out int bad);
        string reference = Path.Combine(dir.FullName, "reference.json");
        (int code, _) = await RunToEndAsync(dir.FullName, Args(input, reference, "reference.ckpt")).ConfigureAwait(false);
        if (code != 0)
        {
            Console.Error.WriteLine($"The uninterrupted run failed with {code}.");
            return 1;
        }

        using JsonDocument expected = JsonDocument.Parse(File.ReadAllBytes(reference));
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        int landed = 0, randomKills = 0, stageKills = 0, duringWrite = 0, betweenRenames = 0, restarts = 0, fallbacks = 0, corrupt = 0;
        int rounds = 0, passed = 0, failed = 0, finishedBeforeKill = 0;
        string round = NewRound(dir.FullName, ++rounds);
        while (true)
        {
            string checkpoint = Path.Combine(round, "model.ckpt");
            string final = Path.Combine(round, "final.json");
            bool wantKill = landed < kills;
            bool atStage = wantKill && random.Next(2) == 0;
            // What the run starts from: a checkpoint only as .prev (a kill between the renames) makes it fall back.
            bool fromPrevious = !File.Exists(checkpoint) && File.Exists(checkpoint + ".prev");
            DateTime? staleTemporary = File.Exists(checkpoint + ".tmp") ? File.GetLastWriteTimeUtc(checkpoint + ".tmp") : null;
            string? pause = atStage ? $"{Stages[random.Next(Stages.Length)]}:{random.Next(1, 5)}" : null;
            Outcome outcome = await RunOnceAsync(round, Args(input, final, checkpoint), pause, wantKill && !atStage ? TimeSpan.FromMilliseconds(random.Next(150, 2500)) : null).ConfigureAwait(false);
            if (fromPrevious)
            {
                fallbacks++;
            }

            if (outcome.Killed)
            {
                landed++;
                restarts++;
                if (atStage)
                {
                    stageKills++;
                }
                else
                {
                    randomKills++;
                }

                // A temporary file left behind by this run (not an earlier one) means the kill fell inside a checkpoint write.
                if (File.Exists(checkpoint + ".tmp") && File.GetLastWriteTimeUtc(checkpoint + ".tmp") != staleTemporary)
                {
                    duringWrite++;
                }

                if (!File.Exists(checkpoint) && File.Exists(checkpoint + ".prev"))
                {
                    betweenRenames++;
                }

                try
                {
                    _ = new CheckpointStore(checkpoint, NullLogger.Instance).Load();
                }
                catch (CheckpointException ex)
                {
                    corrupt++;
                    Console.Error.WriteLine($"kill {landed}: the checkpoint left behind does not load: {ex.Message}");
                }

                continue;
            }

            if (outcome.ExitCode != 0)
            {
                Console.Error.WriteLine($"The worker failed without being killed (exit {outcome.ExitCode}): {outcome.Error}");
                return 1;
            }

            if (wantKill)
            {
                finishedBeforeKill++;
            }

            if (Matches(expected, final, rows, bad, out string problem))
            {
                passed++;
            }
            else
            {
                failed++;
                Console.Error.WriteLine($"round {rounds}: {problem}");
            }

            if (landed >= kills)
            {
                break;
            }

            round = NewRound(dir.FullName, ++rounds);
        }

        Console.WriteLine($"kills: {rows:N0} rows ({bad:N0} bad) a round, checkpoint after every batch, seed {seed}, {clock.Elapsed.TotalMinutes:F1} min; load average at the end: {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine();
        Console.WriteLine("| figure | value |");
        Console.WriteLine("|---|---:|");
        Console.WriteLine($"| kills survived (SIGKILL, then restart) | {landed} |");
        Console.WriteLine($"| … at a random moment | {randomKills} |");
        Console.WriteLine($"| … held at a checkpoint-write step | {stageKills} |");
        Console.WriteLine($"| kills that landed during a checkpoint write (.tmp left behind) | {duringWrite} |");
        Console.WriteLine($"| … between the two renames (only .prev in place) | {betweenRenames} |");
        Console.WriteLine($"| restarts | {restarts} |");
        Console.WriteLine($"| restarts that fell back to .prev (started with only .prev in place) | {fallbacks} |");
        Console.WriteLine($"| checkpoints left behind that did not load | {corrupt} |");
        Console.WriteLine($"| rounds (file finished) | {passed + failed} |");
        Console.WriteLine($"| exact-once checks passed (applied = good, rejected = bad, model bit-identical) | {passed} of {passed + failed} |");
        Console.WriteLine($"| runs that finished before their random kill | {finishedBeforeKill} |");
        dir.Delete(recursive: true);
        return corrupt == 0 && failed == 0 ? 0 : 1;
    }

    private static string NewRound(string dir, int round) => Directory.CreateDirectory(Path.Combine(dir, $"round-{round}")).FullName;

    private static bool Matches(JsonDocument expected, string final, int rows, int bad, out string problem)
    {
        using JsonDocument actual = JsonDocument.Parse(File.ReadAllBytes(final));
        JsonElement a = actual.RootElement;
        if (a.GetProperty("pointsApplied").GetInt64() != rows - bad || a.GetProperty("pointsRejected").GetInt64() != bad || a.GetProperty("pointsReceived").GetInt64() != rows)
        {
            problem = $"applied {a.GetProperty("pointsApplied")}, rejected {a.GetProperty("pointsRejected")}, received {a.GetProperty("pointsReceived")}; expected {rows - bad}, {bad}, {rows}";
            return false;
        }

        foreach (string field in new[] { "version", "centroids", "weights", "counts", "inertia" })
        {
            if (expected.RootElement.GetProperty(field).GetRawText() != a.GetProperty(field).GetRawText())
            {
                problem = $"{field} differs from the uninterrupted run";
                return false;
            }
        }

        problem = string.Empty;
        return true;
    }

    private static async Task<(int ExitCode, string Output)> RunToEndAsync(string dir, string[] args)
    {
        Outcome outcome = await RunOnceAsync(dir, args, null, null).ConfigureAwait(false);
        return (outcome.ExitCode, outcome.Output);
    }

    /// <summary>Runs the worker once: held at <paramref name="pause"/> and killed there, or killed after <paramref name="killAfter"/>, or to its end.</summary>
    private static async Task<Outcome> RunOnceAsync(string dir, string[] args, string? pause, TimeSpan? killAfter)
    {
        var environment = new Dictionary<string, string>();
        if (pause is not null)
        {
            environment["STREAMINGCLUSTERS_FAULT_CHECKPOINT_PAUSE"] = pause;
        }

        using Process worker = WorkerExecutable.Start(dir, environment, args);
        Task<string> output = worker.StandardOutput.ReadToEndAsync();
        var error = new StringBuilder();
        bool killed = false;
        Task reading = Task.Run(async () =>
        {
            string? line;
            while ((line = await worker.StandardError.ReadLineAsync().ConfigureAwait(false)) is not null)
            {
                error.AppendLine(line);
                if (line.StartsWith("checkpoint-paused ", StringComparison.Ordinal))
                {
                    Kill(worker, ref killed);
                }
            }
        });
        if (killAfter is { } delay)
        {
            Task exited = worker.WaitForExitAsync();
            if (await Task.WhenAny(exited, Task.Delay(delay)).ConfigureAwait(false) != exited)
            {
                Kill(worker, ref killed);
            }
        }

        await worker.WaitForExitAsync().ConfigureAwait(false);
        await reading.ConfigureAwait(false);
        return new Outcome(killed, killed ? -9 : worker.ExitCode, await output.ConfigureAwait(false), error.ToString());
    }

    private static void Kill(Process worker, ref bool killed)
    {
        try
        {
            worker.Kill();
            killed = true;
        }
        catch (InvalidOperationException)
        {
            // It had already exited.
        }
    }

    private static string[] Args(string input, string snapshot, string checkpoint) =>
    [
        "--input", input, "--clusters", "6", "--seed", "3", "--half-life", "30000points", "--quiet",
        "--batch-timeout", "01:00:00", "--checkpoint", checkpoint, "--checkpoint-interval", "0", "--snapshot-out", snapshot,
    ];

    private static string WriteInput(string dir, int rows, out int bad)
    {
        var random = new Random(17);
        var text = new StringBuilder("a,b,c,d\n");
        bad = 0;
        for (int i = 0; i < rows; i++)
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
                text.Append(((c * 7 * (j + 1) % 23) + random.NextDouble()).ToString("R", CultureInfo.InvariantCulture)).Append(j < 3 ? ',' : '\n');
            }
        }

        string path = Path.Combine(dir, "input.csv");
        File.WriteAllText(path, text.ToString(), Encoding.UTF8);
        return path;
    }

    private sealed record Outcome(bool Killed, int ExitCode, string Output, string Error);
}
