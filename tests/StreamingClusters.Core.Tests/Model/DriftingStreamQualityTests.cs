using StreamingClusters.Model;
using StreamingClusters.MStep;
using StreamingClusters.Randomness;
using StreamingClusters.Tests.Support;
using Xunit.Abstractions;

namespace StreamingClusters.Tests.Model;

/// <summary>With a half-life the model follows drifting centres; with a = 1 it lags behind.</summary>
public class DriftingStreamQualityTests(ITestOutputHelper output)
{
    private const int K = 4;
    private const int D = 2;
    private const int N = 100_000;
    private const int BufferPoints = 2_048;
    private const int BatchPoints = 500;

    // Four centres start at (±10, ±10) and move 10 apart from each other, outward, over the stream.
    private static readonly double[] Start = [10, 10, -10, 10, -10, -10, 10, -10];
    private static readonly double[] Velocity = [10, 0, 0, 10, -10, 0, 0, -10];

    [Fact]
    public void Stream_HalfLifeInPoints_FollowsTheMovingCentres()
    {
        // The exponentially weighted mean lags by the mean age h / ln 2 ≈ 2,900 points ≈ 0.29 units.
        double lag = FinalDistances(HalfLife.InPoints(2_000)).Max();

        output.WriteLine($"half-life 2000 points: largest distance to a true centre {lag:F3}");
        Assert.True(lag < 0.5, $"the model lags {lag:F3} behind the drifting centres");
    }

    [Fact]
    public void Stream_NoForgetting_LagsHalfTheDriftBehind()
    {
        // The running mean of every point sits near the middle of each centre's path: 5 units behind.
        double lag = FinalDistances(HalfLife.None).Min();

        output.WriteLine($"a = 1: smallest distance to a true centre {lag:F3}");
        Assert.True(lag > 4, $"without forgetting the model lags only {lag:F3}");
    }

    /// <summary>Streams the drifting points; returns the distance from each true final centre to its centroid.</summary>
    private static double[] FinalDistances(HalfLife halfLife)
    {
        float[] points = Drifting(new ModelRandom(12));
        var model = new ClusterModel(new ModelSettings(K, D) { Seed = 12 });
        model.Seed(points.AsSpan(0, BufferPoints * D));
        Streaming.Step(model, points.AsSpan(0, BufferPoints * D));
        for (int start = BufferPoints * D; start < points.Length; start += BatchPoints * D)
        {
            ReadOnlySpan<float> batch = points.AsSpan(start, Math.Min(BatchPoints * D, points.Length - start));
            Streaming.Step(model, batch, halfLife.Discount(batch.Length / D, TimeSpan.Zero));
        }

        double[] final = Enumerable.Range(0, K * D).Select(i => Start[i] + Velocity[i]).ToArray();
        var matched = new HashSet<int>();
        var distances = new double[K];
        for (int c = 0; c < K; c++)
        {
            float[] truth = Array.ConvertAll(final[(c * D)..((c + 1) * D)], v => (float)v);
            int nearest = GeneratedData.Nearest(truth, model.Centroids, K);
            matched.Add(nearest);
            distances[c] = Math.Sqrt(GeneratedData.SquaredDistance(truth, model.Centroids.Slice(nearest * D, D)));
        }

        Assert.Equal(K, matched.Count);
        return distances;
    }

    /// <summary>Point i comes from a random centre at time t = i / N, with unit spread.</summary>
    private static float[] Drifting(ModelRandom random)
    {
        var points = new float[N * D];
        for (int i = 0; i < N; i++)
        {
            double t = (double)i / N;
            int c = random.NextInt32(K);
            for (int j = 0; j < D; j++)
            {
                points[(i * D) + j] = (float)(Start[(c * D) + j] + (Velocity[(c * D) + j] * t) + random.NextGaussian());
            }
        }

        return points;
    }
}
