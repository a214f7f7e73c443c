using StreamingClusters.Model;
using StreamingClusters.Randomness;
using StreamingClusters.Reference;
using StreamingClusters.Seeding;
using StreamingClusters.Tests.Support;
using Xunit.Abstractions;

namespace StreamingClusters.Tests.Model;

/// <summary>On a stationary stream the streaming model ends within 2 % of converged batch Lloyd.</summary>
public class StationaryBlobsQualityTests(ITestOutputHelper output)
{
    private const int K = 64;
    private const int D = 16;
    private const int N = 200_000;
    private const int BufferPoints = 8_192;
    private const int BatchPoints = 1_024;

    [Fact]
    public void Stream_GaussianBlobsOfUnequalSpread_ObjectiveWithinTwoPercentOfLloyd()
    {
        float[] points = Blobs(new ModelRandom(5));

        // The model as the pipeline runs it: seed on the first points, apply them, then mini-batches.
        var model = new ClusterModel(new ModelSettings(K, D) { Seed = 5 });
        model.Seed(points.AsSpan(0, BufferPoints * D));
        Streaming.Step(model, points.AsSpan(0, BufferPoints * D));
        Streaming.StepAll(model, points.AsSpan(BufferPoints * D), BatchPoints);
        double streaming = BatchKMeans.Objective(points, model.Centroids, K);

        // The reference: greedy k-means++ on all the data, then Lloyd to convergence.
        double[] initial = KMeansPlusPlus.Seed(points, D, K, new ModelRandom(5));
        LloydResult lloyd = BatchKMeans.Lloyd(points, initial, K, maxIterations: 1_000);
        double batch = BatchKMeans.Objective(points, lloyd.Centroids, K);

        output.WriteLine($"streaming {streaming:F0}, Lloyd {batch:F0} ({lloyd.Iterations} iterations), ratio {streaming / batch:F4}");
        Assert.True(lloyd.Converged);
        Assert.Equal(N, model.PointsApplied);
        Assert.True(streaming <= 1.02 * batch, $"streaming objective {streaming:F0} is {((streaming / batch) - 1) * 100:F2} % above Lloyd's {batch:F0}");
    }

    /// <summary>
    /// 64 blobs in 16 dimensions, centres drawn from N(0, 2.5²I) (neighbours typically a few spreads
    /// apart, some overlapping), each with its own spread between 0.5 and 2.
    /// </summary>
    private static float[] Blobs(ModelRandom random)
    {
        double[] centres = GeneratedData.GaussianAsDouble(random, K * D, 2.5);
        double[] spreads = Enumerable.Range(0, K).Select(_ => 0.5 * Math.Pow(4, random.NextDouble())).ToArray();
        var points = new float[N * D];
        for (int i = 0; i < N; i++)
        {
            int c = random.NextInt32(K);
            for (int j = 0; j < D; j++)
            {
                points[(i * D) + j] = (float)(centres[(c * D) + j] + (spreads[c] * random.NextGaussian()));
            }
        }

        return points;
    }
}
