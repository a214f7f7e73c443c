using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StreamingClusters.Worker.Tests;

/// <summary>
/// <c>--scaling standardize</c> through the real worker: a sensor CSV in mixed units whose three modes
/// differ in the small-unit columns while rpm is noise of large spread.
/// </summary>
public sealed class ScalingSwitchTests : IDisposable
{
    private static readonly double[][] Modes =
    [
        [20.0, 101.0, 1.0, 5.0, 45.0, 3000.0],
        [23.0, 101.8, 3.0, 6.0, 45.0, 3000.0],
        [26.0, 102.6, 5.0, 7.0, 45.0, 3000.0],
    ];

    private static readonly double[] Spreads = [0.5, 0.2, 0.3, 0.25, 3.0, 1000.0];

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-scaling-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Run_Standardize_CentroidsAreTheModesInInputUnitsAndTheSnapshotCarriesTheScaling()
    {
        string input = WriteSensors(6_000);
        string snapshot = Path.Combine(_dir.FullName, "model.json");

        WorkerProcess.Result run = await WorkerProcess.RunAsync(
            _dir.FullName, null, "--input", input, "--clusters", "3", "--seed", "1", "--scaling", "standardize", "--snapshot-out", snapshot, "--quiet");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.StartsWith("Done: version", run.Output, StringComparison.Ordinal);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(snapshot));
        double[][] centroids = Centroids(json);
        Assert.Equal([20.0, 23.0, 26.0], centroids.Select(c => c[0]).Order().Select(t => Math.Round(t)));
        Assert.All(centroids, c => Assert.InRange(c[5], 2_900, 3_100));
        Assert.Contains(centroids.Select(c => c[0].ToString("F3", CultureInfo.InvariantCulture)).First(), run.Output, StringComparison.Ordinal);
        JsonElement scaling = json.RootElement.GetProperty("scaling");
        Assert.Equal(6, scaling.GetProperty("mean").GetArrayLength());
        Assert.InRange(scaling.GetProperty("std")[5].GetDouble(), 900, 1_100);
    }

    [Fact]
    public async Task Run_WithoutScaling_RpmDecidesAndTheModesAreMissed()
    {
        string input = WriteSensors(6_000);
        string snapshot = Path.Combine(_dir.FullName, "model.json");

        WorkerProcess.Result run = await WorkerProcess.RunAsync(
            _dir.FullName, null, "--input", input, "--clusters", "3", "--seed", "1", "--snapshot-out", snapshot, "--quiet");

        Assert.True(run.ExitCode == 0, run.Error);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(snapshot));
        double[][] centroids = Centroids(json);
        Assert.NotEqual([20.0, 23.0, 26.0], centroids.Select(c => c[0]).Order().Select(t => Math.Round(t)));
        Assert.False(json.RootElement.TryGetProperty("scaling", out _));
    }

    [Fact]
    public async Task Run_BadScalingSwitch_ExitsTwoNamingTheValues()
    {
        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--scaling", "zscore");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--scaling must be none or standardize, not 'zscore'.", run.Error, StringComparison.Ordinal);
    }

    private static double[][] Centroids(JsonDocument json) =>
        [.. json.RootElement.GetProperty("centroids").EnumerateArray().Select(c => c.EnumerateArray().Select(v => v.GetDouble()).ToArray())];

    private string WriteSensors(int rows)
    {
        var random = new Random(7);
        var text = new StringBuilder("temp_c,pressure_kpa,vibration_mm_s,current_a,humidity_pct,rpm\n");
        for (int i = 0; i < rows; i++)
        {
            double[] mode = Modes[random.Next(Modes.Length)];
            for (int j = 0; j < mode.Length; j++)
            {
                // Box–Muller: a normal deviate from two uniforms.
                double normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                text.Append(CultureInfo.InvariantCulture, $"{mode[j] + (Spreads[j] * normal):F3}").Append(j + 1 < mode.Length ? ',' : '\n');
            }
        }

        string path = Path.Combine(_dir.FullName, "sensors.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }
}
