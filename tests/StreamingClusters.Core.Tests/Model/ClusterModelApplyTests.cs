using StreamingClusters.Model;
using StreamingClusters.Randomness;
using StreamingClusters.Statistics;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Model;

public class ClusterModelApplyTests
{
    [Fact]
    public void Apply_FixedAssignmentsInRandomBatchesWithDiscountOne_GivesExactRunningMeans()
    {
        var random = new ModelRandom(404);
        const int K = 5, D = 4, N = 5_000;

        // Points around centres near 10 so that the relative tolerance means something in every coordinate.
        double[] centres = Array.ConvertAll(GeneratedData.GaussianAsDouble(random, K * D, 3), v => v + 10);
        var labels = new int[N];
        float[] points = new float[N * D];
        for (int i = 0; i < N; i++)
        {
            labels[i] = random.NextInt32(K);
            for (int j = 0; j < D; j++)
            {
                points[(i * D) + j] = (float)(centres[(labels[i] * D) + j] + random.NextGaussian());
            }
        }

        double[] expected = ExactMeans(points, labels, K, D, out long[] counts);
        for (int split = 0; split < 20; split++)
        {
            var model = new ClusterModel(new ModelSettings(K, D));
            model.SetCentroids(new double[K * D]);
            int maxBatch = split % 4 == 0 ? 3 : 1 + random.NextInt32(700);
            for (int start = 0; start < N;)
            {
                int size = Math.Min(1 + random.NextInt32(maxBatch), N - start);
                var statistics = new ClusterStatistics(K, D);
                for (int i = start; i < start + size; i++)
                {
                    statistics.AddPoint(labels[i], points.AsSpan(i * D, D), 0);
                }

                model.Apply(statistics, 1.0, []);
                start += size;
            }

            for (int c = 0; c < K; c++)
            {
                Assert.Equal(counts[c], model.Weights[c]);
                for (int j = 0; j < D; j++)
                {
                    double e = expected[(c * D) + j];
                    double actual = model.Centroids[(c * D) + j];
                    Assert.True(Math.Abs(actual - e) <= 1e-12 * Math.Abs(e), $"split {split}, cluster {c}, coordinate {j}: {actual:R} vs {e:R}");
                }
            }

            Assert.Equal(N, model.PointsApplied);
        }
    }

    [Fact]
    public void Apply_ClusterWithoutPoints_KeepsItsCentroidAndDecaysItsWeight()
    {
        var model = new ClusterModel(new ModelSettings(2, 1) { ReseedRatio = 0 });
        model.SetCentroids([0, 10]);
        Streaming.Step(model, [1f, 9f, 11f]);

        Streaming.Step(model, [-1f], discount: 0.5);

        // Cluster 0 took the point: (0.5·1 − 1) / 1.5. Cluster 1 took none.
        Assert.Equal(-1.0 / 3, model.Centroids[0], 1e-15);
        Assert.Equal(10.0, model.Centroids[1]);
        Assert.Equal([1.5, 1.0], model.Weights.ToArray());
        Assert.Equal(2, model.Version);
        Assert.Equal(4, model.PointsApplied);
    }

    [Fact]
    public void Apply_Update_DescribesTheStep()
    {
        var model = new ClusterModel(new ModelSettings(2, 1));
        model.SetCentroids([0, 10]);

        ModelUpdate update = Streaming.Step(model, [1f, 9f, 12f, -1f], discount: 0.75);

        Assert.Equal(1, update.Version);
        Assert.Equal(4, update.Points);
        Assert.Equal(0.75, update.Discount);
        Assert.Equal(1 + 1 + 4 + 1, update.SquaredError, 1e-6);
        Assert.Equal(7.0 / 4, update.MeanSquaredDistance, 1e-6);
        Assert.Empty(update.Reseeds);
        Assert.Equal(1, model.Current.Version);
        Assert.Equal(1 + 1, model.Inertia[0], 1e-6);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(1.0000001)]
    [InlineData(double.NaN)]
    public void Apply_DiscountOutsideZeroToOne_Throws(double discount)
    {
        var model = new ClusterModel(new ModelSettings(1, 1));
        model.SetCentroids([0]);

        Assert.Throws<ArgumentOutOfRangeException>(() => model.Apply(new ClusterStatistics(1, 1), discount, []));
    }

    [Fact]
    public void Apply_StatisticsOfAnotherShape_Throws()
    {
        var model = new ClusterModel(new ModelSettings(2, 2));
        model.SetCentroids(new double[4]);

        var error = Assert.Throws<ArgumentException>(() => model.Apply(new ClusterStatistics(2, 3), 1, []));

        Assert.StartsWith("Statistics of shape (k=2, d=3) do not match the model (k=2, d=2).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_RecentPointsNotAMultipleOfD_ThrowsAndLeavesTheModelUnchanged()
    {
        // Cluster 1 starves, so the reseed would read the recent points after the update was committed.
        var model = new ClusterModel(new ModelSettings(2, 2));
        model.SetCentroids([0, 0, 100, 100]);
        ClusterModelState before = model.ToState();
        var statistics = new ClusterStatistics(2, 2);
        statistics.AddPoint(0, [1f, 1f], 2);

        var error = Assert.Throws<ArgumentException>(() => model.Apply(statistics, 1.0, [1f, 1f, 2f]));

        Assert.Equal("recentPoints", error.ParamName);
        Bitwise.AssertEqual(before, model.ToState());
    }

    [Fact]
    public void Apply_Unseeded_Throws()
    {
        var model = new ClusterModel(new ModelSettings(1, 1));

        var error = Assert.Throws<InvalidOperationException>(() => model.Apply(new ClusterStatistics(1, 1), 1, []));

        Assert.Equal("The model has no centroids until it is seeded.", error.Message);
    }

    [Fact]
    public void SetCentroids_WrongLengthNonFiniteOrTwice_Throws()
    {
        var model = new ClusterModel(new ModelSettings(2, 2));

        Assert.Throws<ArgumentException>(() => model.SetCentroids(new double[3]));
        var error = Assert.Throws<ArgumentException>(() => model.SetCentroids([0, 0, 1, double.NaN]));
        Assert.StartsWith("Centroid 1 has a non-finite coordinate.", error.Message, StringComparison.Ordinal);
        Assert.False(model.IsSeeded);

        model.SetCentroids(new double[4]);
        Assert.Throws<InvalidOperationException>(() => model.SetCentroids(new double[4]));
        Assert.Throws<InvalidOperationException>(() => model.Seed([1f, 2f, 3f, 4f]));
    }

    private static double[] ExactMeans(float[] points, int[] labels, int k, int d, out long[] counts)
    {
        var sums = new double[k * d];
        counts = new long[k];
        for (int i = 0; i < labels.Length; i++)
        {
            counts[labels[i]]++;
            for (int j = 0; j < d; j++)
            {
                sums[(labels[i] * d) + j] += points[(i * d) + j];
            }
        }

        for (int c = 0; c < k; c++)
        {
            for (int j = 0; j < d; j++)
            {
                sums[(c * d) + j] /= counts[c];
            }
        }

        return sums;
    }
}
