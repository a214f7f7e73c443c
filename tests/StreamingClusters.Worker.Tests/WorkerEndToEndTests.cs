using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StreamingClusters.Worker.Tests;

public sealed class WorkerEndToEndTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-worker-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Run_CsvFile_WritesTheFinalSnapshotAndDeadLettersAndExitsZero()
    {
        string input = WriteBlobsCsv("points.csv", rows: 6_000, out int bad);
        string snapshotPath = Path.Combine(_dir.FullName, "snapshot.json");
        string deadLetterPath = Path.Combine(_dir.FullName, "dead.jsonl");

        WorkerProcess.Result run = await WorkerProcess.RunAsync(
            _dir.FullName, null,
            "--input", input, "--clusters", "3", "--seed", "5", "--batch-size", "500",
            "--snapshot-out", snapshotPath, "--dead-letter", deadLetterPath, "--StreamingClusters:Seeding:BufferSize=1000");

        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        using JsonDocument snapshot = JsonDocument.Parse(File.ReadAllBytes(snapshotPath));
        JsonElement root = snapshot.RootElement;
        Assert.Equal(3, root.GetProperty("clusters").GetInt32());
        Assert.Equal(2, root.GetProperty("dimensions").GetInt32());
        Assert.Equal(6_000 - bad, root.GetProperty("pointsApplied").GetInt64());
        Assert.Equal(bad, root.GetProperty("pointsRejected").GetInt64());
        Assert.True(root.GetProperty("version").GetInt64() > 1);
        Assert.True(root.GetProperty("isFinal").GetBoolean());
        Assert.True(root.GetProperty("inertia").GetDouble() > 0);
        Assert.Equal(3, root.GetProperty("weights").GetArrayLength());
        Assert.All(root.GetProperty("centroids").EnumerateArray(), c => Assert.Equal(2, c.GetArrayLength()));
        double[] xs = [.. root.GetProperty("centroids").EnumerateArray().Select(c => c[0].GetDouble()).Order()];
        Assert.Equal([0, 10, 20], xs.Select(x => Math.Round(x)));
        Assert.Equal(bad, File.ReadAllLines(deadLetterPath).Length);
        Assert.Contains("Done: version", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_JsonLinesOnStandardInput_ReadsUntilTheInputEnds()
    {
        var lines = new StringBuilder();
        for (int i = 0; i < 2_000; i++)
        {
            lines.Append(CultureInfo.InvariantCulture, $"{{\"id\":{i},\"x\":{i % 2 * 50 + (i % 7) * 0.1},\"y\":{i % 3}}}\n");
        }

        string snapshotPath = Path.Combine(_dir.FullName, "snapshot.json");
        WorkerProcess.Result run = await WorkerProcess.RunAsync(
            _dir.FullName, lines.ToString(),
            "--input", "-", "--format", "jsonl", "--columns", "x,y", "--clusters", "2", "--snapshot-out", snapshotPath);

        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        using JsonDocument snapshot = JsonDocument.Parse(File.ReadAllBytes(snapshotPath));
        Assert.Equal(2_000, snapshot.RootElement.GetProperty("pointsApplied").GetInt64());
        Assert.Equal(2, snapshot.RootElement.GetProperty("dimensions").GetInt32());
    }

    [Fact]
    public async Task Run_SameSeedTwice_SameFinalModel()
    {
        string input = WriteBlobsCsv("points.csv", rows: 4_000, out _);
        string first = Path.Combine(_dir.FullName, "a.json");
        string second = Path.Combine(_dir.FullName, "b.json");

        await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--clusters", "3", "--seed", "9", "--snapshot-out", first, "--parallelism", "1");
        await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--clusters", "3", "--seed", "9", "--snapshot-out", second, "--parallelism", "2");

        Assert.Equal(Centroids(first), Centroids(second));
    }

    [Fact]
    public async Task Help_ListsEverySwitch()
    {
        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--help");

        Assert.Equal(0, run.ExitCode);
        foreach (string name in new[] { "--input", "--format", "--clusters", "--dimensions", "--batch-size", "--half-life", "--seed", "--snapshot-out", "--dead-letter", "--config" })
        {
            Assert.Contains(name, run.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Run_UnknownSwitch_ExitsTwoNamingIt()
    {
        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--clustres", "3");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Unknown switch '--clustres'", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_InvalidSettings_RefusedAtStartUpNamingTheSetting()
    {
        string input = WriteBlobsCsv("points.csv", rows: 100, out _);

        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--clusters", "0", "--half-life", "20000points", "--batch-size", "-3");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Configuration refused: StreamingClusters:Clusters must be between 1 and 65536.", run.Error, StringComparison.Ordinal);
        Assert.Contains("Configuration refused: StreamingClusters:BatchSize must be between 1 and 16777216.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SettingOfTheWrongType_RefusedAtStartUpNamingTheSettingAndValue()
    {
        string input = WriteBlobsCsv("points.csv", rows: 100, out _);
        string profile = Path.Combine(_dir.FullName, "profile.json");
        File.WriteAllText(profile, """{ "StreamingClusters": { "Clusters": 3, "BatchSize": "abc" } }""");

        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--config", profile);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Configuration refused: Failed to convert configuration value 'abc' at 'StreamingClusters:BatchSize'", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BadHalfLifeSwitch_ExitsTwoWithTheForms()
    {
        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--half-life", "soon");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--half-life 'soon' is not a half-life", run.Error, StringComparison.Ordinal);
    }

    private static string[] Centroids(string path)
    {
        using JsonDocument snapshot = JsonDocument.Parse(File.ReadAllBytes(path));
        return [.. snapshot.RootElement.GetProperty("centroids").EnumerateArray().Select(c => c.GetRawText())];
    }

    /// <summary>Three blobs at x = 0, 10, 20 with a header and one bad row in a hundred.</summary>
    private string WriteBlobsCsv(string name, int rows, out int bad)
    {
        var random = new Random(3);
        var text = new StringBuilder("x,y\n");
        bad = 0;
        for (int i = 0; i < rows; i++)
        {
            if (i % 100 == 99)
            {
                text.Append(i % 200 == 199 ? "oops,1\n" : "1,2,3\n");
                bad++;
                continue;
            }

            double x = (i % 3 * 10) + (random.NextDouble() - 0.5);
            double y = random.NextDouble() - 0.5;
            text.Append(CultureInfo.InvariantCulture, $"{x:R},{y:R}\n");
        }

        string path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, text.ToString());
        return path;
    }
}
