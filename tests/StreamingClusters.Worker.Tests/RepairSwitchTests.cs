using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StreamingClusters.Worker.Tests;

/// <summary>
/// <c>--repair on|off</c> through the real worker: three places, the first 1,000 points from two of them
/// (the seeding buffer), then all three; three clusters, so the seeding cuts one place in two.
/// </summary>
public sealed class RepairSwitchTests : IDisposable
{
    private static readonly double[][] Places = [[0, 0], [10, 0], [0, 10]];

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-repair-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Run_RepairOn_GivesTheUnseenPlaceItsOwnCentroidWithANewId()
    {
        (double[][] centroids, long[] ids) = await RunAsync("on");

        Assert.All(Places, place => Assert.True(Nearest(centroids, place) < 0.2, $"({place[0]}, {place[1]}) is {Nearest(centroids, place)} from its nearest centroid"));
        Assert.Contains(ids, id => id >= 3);
    }

    [Fact]
    public async Task Run_RepairOff_KeepsTheSeedingsClustersAndMissesThePlace()
    {
        (double[][] centroids, long[] ids) = await RunAsync("off");

        Assert.True(Nearest(centroids, Places[2]) > 2);
        Assert.Equal([0L, 1, 2], ids);
    }

    [Fact]
    public async Task Run_BadRepairSwitch_ExitsTwoNamingTheValues()
    {
        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--repair", "yes");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--repair must be on or off, not 'yes'.", run.Error, StringComparison.Ordinal);
    }

    private async Task<(double[][] Centroids, long[] Ids)> RunAsync(string repair)
    {
        string input = WritePoints();
        string snapshot = Path.Combine(_dir.FullName, "model.json");

        WorkerProcess.Result run = await WorkerProcess.RunAsync(
            _dir.FullName, null, "--input", input, "--clusters", "3", "--seed", "1", "--repair", repair,
            "--StreamingClusters:Seeding:BufferSize=1000", "--snapshot-out", snapshot, "--quiet");

        Assert.True(run.ExitCode == 0, run.Error);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(snapshot));
        double[][] centroids = [.. json.RootElement.GetProperty("centroids").EnumerateArray().Select(c => c.EnumerateArray().Select(v => v.GetDouble()).ToArray())];
        long[] ids = [.. json.RootElement.GetProperty("ids").EnumerateArray().Select(i => i.GetInt64())];
        return (centroids, ids);
    }

    private static double Nearest(double[][] centroids, double[] place) =>
        centroids.Min(c => Math.Sqrt(Math.Pow(c[0] - place[0], 2) + Math.Pow(c[1] - place[1], 2)));

    private string WritePoints()
    {
        var random = new Random(3);
        var text = new StringBuilder("x,y\n");
        for (int i = 0; i < 9_000; i++)
        {
            double[] place = Places[random.Next(i < 1_000 ? 2 : 3)];
            for (int j = 0; j < 2; j++)
            {
                // Box–Muller: a normal deviate from two uniforms.
                double normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                text.Append(CultureInfo.InvariantCulture, $"{place[j] + (0.5 * normal):F3}").Append(j == 0 ? ',' : '\n');
            }
        }

        string path = Path.Combine(_dir.FullName, "points.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }
}
