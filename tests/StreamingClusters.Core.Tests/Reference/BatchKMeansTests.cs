using StreamingClusters.Randomness;
using StreamingClusters.Reference;
using StreamingClusters.Seeding;
using StreamingClusters.Statistics;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Reference;

public class BatchKMeansTests
{
    [Fact]
    public void Lloyd_RandomData_ObjectiveNeverIncreasesAndConvergesWithinTheLimit()
    {
        var random = new ModelRandom(707);
        for (int run = 0; run < 60; run++)
        {
            int k = 1 + random.NextInt32(12);
            int d = 1 + random.NextInt32(8);
            int n = k + random.NextInt32(1_500);
            float[] points = random.NextInt32(2) == 0
                ? GeneratedData.Gaussian(random, n * d, 5)
                : GeneratedData.SeparatedPoints(random, GeneratedData.GaussianAsDouble(random, k * d, 6), k, n, spread: 1.5);
            double[] initial = random.NextInt32(2) == 0
                ? KMeansPlusPlus.Seed(points, d, k, random)
                : GeneratedData.GaussianAsDouble(random, k * d, 5);

            // Two runs in three sit away from the origin, like sensor readings around 1000 hPa.
            float offset = (float)(run % 3 == 0 ? 0 : Math.Pow(10, run % 3));
            Shift(points, offset);
            Shift(initial, offset);

            LloydResult result = BatchKMeans.Lloyd(points, initial, k, maxIterations: 500);

            Assert.True(result.Converged, $"run {run} (k={k}, d={d}, n={n}) did not converge in 500 iterations");
            Assert.Equal(result.Iterations + 1, result.Objective.Count);
            for (int t = 1; t < result.Objective.Count; t++)
            {
                Assert.True(
                    result.Objective[t] <= result.Objective[t - 1],
                    $"run {run} (k={k}, d={d}, n={n}): objective rose from {result.Objective[t - 1]:R} to {result.Objective[t]:R} at iteration {t}");
            }
        }
    }

    [Fact]
    public void Lloyd_ZeroIterations_ReturnsTheInitialCentroidsUnconverged()
    {
        double[] initial = [0, 0, 10, 10];

        LloydResult result = BatchKMeans.Lloyd([1f, 1f, 9f, 9f], initial, 2, maxIterations: 0);

        Assert.Equal(initial, result.Centroids);
        Assert.False(result.Converged);
        Assert.Equal(0, result.Iterations);
        Assert.Equal(4.0, Assert.Single(result.Objective), 1e-4);
    }

    [Fact]
    public void Lloyd_TwoObviousGroups_FindsTheirMeans()
    {
        float[] points = [0f, 0f, 2f, 0f, 10f, 10f, 12f, 10f];

        LloydResult result = BatchKMeans.Lloyd(points, [0, 1, 11, 9], 2, maxIterations: 10);

        Assert.True(result.Converged);
        Assert.Equal([1.0, 0.0, 11.0, 10.0], result.Centroids);
        Assert.Equal(4.0, BatchKMeans.Objective(points, result.Centroids, 2), 1e-12);
    }

    [Fact]
    public void MeanStep_EmptyCluster_KeepsItsCentroid()
    {
        var statistics = new ClusterStatistics(2, 1);
        statistics.AddPoint(0, [4f], 0);
        statistics.AddPoint(0, [6f], 0);
        double[] centroids = [0, 42];

        BatchKMeans.MeanStep(statistics, centroids);

        Assert.Equal([5.0, 42.0], centroids);
    }

    [Fact]
    public void Objective_ExactSquaredDistanceToTheNearestCentroid()
    {
        Assert.Equal(1 + 4 + 0, BatchKMeans.Objective([1f, 2f, 7f], [0, 7], 2), 1e-12);
    }

    private static void Shift(float[] values, float offset)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] += offset;
        }
    }

    private static void Shift(double[] values, float offset)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(values[i] + offset);
        }
    }
}
