using System.Text;
using System.Text.Json;

namespace StreamingClusters.Worker.Tests;

/// <summary>
/// The input, switches and exact-once check shared by the kill-and-restart tests: a CSV of six clusters
/// with about 1 % bad rows, a checkpoint after every batch, and a final snapshot that must equal an
/// uninterrupted run's.
/// </summary>
internal static class RestartScenario
{
    public static string[] Args(string input, string snapshot, string checkpoint) =>
    [
        "--input", input, "--clusters", "6", "--seed", "3", "--half-life", "30000points", "--quiet",
        "--batch-timeout", "01:00:00", "--checkpoint", checkpoint, "--checkpoint-interval", "0", "--snapshot-out", snapshot,
    ];

    /// <summary>Writes <paramref name="rows"/> rows (header aside) to input.csv in <paramref name="directory"/>.</summary>
    public static string WriteInput(string directory, int rows, int seed, out int bad)
    {
        var random = new Random(seed);
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
                text.Append((c * 7 * (j + 1) % 23) + random.NextDouble()).Append(j < 3 ? ',' : '\n');
            }
        }

        string path = Path.Combine(directory, "input.csv");
        File.WriteAllText(path, text.ToString(), Encoding.UTF8);
        return path;
    }

    /// <summary>Every good row applied once, every bad one rejected once, and the model bit-identical to the reference run's.</summary>
    public static void AssertExactlyOnce(string reference, string final, int rows, int bad)
    {
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllBytes(reference));
        using JsonDocument actual = JsonDocument.Parse(File.ReadAllBytes(final));
        Assert.Equal(rows - bad, actual.RootElement.GetProperty("pointsApplied").GetInt64());
        Assert.Equal(bad, actual.RootElement.GetProperty("pointsRejected").GetInt64());
        Assert.Equal(rows, actual.RootElement.GetProperty("pointsReceived").GetInt64());
        foreach (string field in new[] { "version", "centroids", "weights", "counts", "inertia" })
        {
            Assert.Equal(expected.RootElement.GetProperty(field).GetRawText(), actual.RootElement.GetProperty(field).GetRawText());
        }
    }
}
