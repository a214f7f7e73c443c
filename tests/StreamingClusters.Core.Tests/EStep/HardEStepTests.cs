using StreamingClusters.EStep;
using StreamingClusters.Randomness;
using StreamingClusters.Statistics;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.EStep;

public class HardEStepTests
{
    [Fact]
    public void Assign_SeparatedPoints_GivesExactArgminAndSquaredDistance()
    {
        var random = new ModelRandom(31);
        for (int run = 0; run < 100; run++)
        {
            int k = 1 + random.NextInt32(70);
            int d = 1 + random.NextInt32(20);
            int n = 1 + random.NextInt32(300);
            double[] means = GeneratedData.GaussianAsDouble(random, k * d, 3);
            float[] points = GeneratedData.SeparatedPoints(random, means, k, n, spread: 1);
            var nearest = new int[n];
            var distances = new float[n];

            HardEStep.Assign(new CentroidSet(means, k), points, nearest, distances);

            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<float> x = points.AsSpan(i * d, d);
                int expected = GeneratedData.Nearest(x, means, k);
                Assert.Equal(expected, nearest[i]);
                double exact = GeneratedData.SquaredDistance(x, means.AsSpan(expected * d, d));
                double norm = GeneratedData.SquaredDistance(x, new double[d]) + GeneratedData.SquaredDistance(new float[d], means.AsSpan(expected * d, d));

                // ‖x‖² + (‖μ‖² − 2x·μ) in float: the error scales with the norms, not with the distance.
                Assert.True(Math.Abs(distances[i] - exact) <= 1e-5 * (1 + norm), $"run {run}, point {i}: {distances[i]} vs {exact}");
                Assert.True(distances[i] >= 0);
            }
        }
    }

    [Fact]
    public void Accumulate_BlockOfManyChunks_EqualsAddingEachAssignedPointInOrder()
    {
        var random = new ModelRandom(5);
        const int K = 9, D = 6, N = 1_000;
        var set = new CentroidSet(GeneratedData.GaussianAsDouble(random, K * D, 2), K);
        float[] points = GeneratedData.Gaussian(random, N * D, 2);
        var nearest = new int[N];
        var distances = new float[N];
        HardEStep.Assign(set, points, nearest, distances);

        var expected = new ClusterStatistics(K, D);
        for (int i = 0; i < N; i++)
        {
            expected.AddPoint(nearest[i], points.AsSpan(i * D, D), distances[i]);
        }

        var statistics = new ClusterStatistics(K, D);
        var assignments = new int[N];
        var squaredDistances = new float[N];
        HardEStep.Accumulate(set, points, statistics, assignments, squaredDistances);

        Assert.True(statistics.BitwiseEquals(expected));
        Assert.Equal(nearest, assignments);
        Assert.True(Bitwise.Equal(distances, squaredDistances));
    }

    [Fact]
    public void Accumulate_EmptyBlock_LeavesStatisticsEmpty()
    {
        var statistics = new ClusterStatistics(2, 3);

        HardEStep.Accumulate(new CentroidSet(new double[6], 2), [], statistics);

        Assert.Equal(0, statistics.TotalCount);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(64)]
    [InlineData(130)]
    public void Accumulate_WarmCall_AllocatesNothing(int k)
    {
        var random = new ModelRandom(9);
        const int D = 16, N = 1_000;
        var set = new CentroidSet(GeneratedData.GaussianAsDouble(random, k * D), k);
        float[] points = GeneratedData.Gaussian(random, N * D);
        var statistics = new ClusterStatistics(k, D);
        var assignments = new int[N];
        var distances = new float[N];
        HardEStep.Accumulate(set, points, statistics, assignments, distances);
        HardEStep.Accumulate(set, points, statistics);

        long before = GC.GetAllocatedBytesForCurrentThread();
        HardEStep.Accumulate(set, points, statistics, assignments, distances);
        HardEStep.Accumulate(set, points, statistics);
        long after = GC.GetAllocatedBytesForCurrentThread();

        Assert.Equal(0, after - before);
    }

    [Fact]
    public void Accumulate_StatisticsOfAnotherShape_ThrowsNamingBothShapes()
    {
        var set = new CentroidSet(new double[6], 2);

        var error = Assert.Throws<ArgumentException>(() => HardEStep.Accumulate(set, new float[3], new ClusterStatistics(3, 2)));

        Assert.StartsWith("Statistics of shape (k=3, d=2) do not match the model (k=2, d=3).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assign_BlockNotAMultipleOfD_Throws()
    {
        var set = new CentroidSet(new double[6], 2);

        var error = Assert.Throws<ArgumentException>(() => HardEStep.Assign(set, new float[4], new int[2], new float[2]));

        Assert.StartsWith("A block of d = 3 points must hold a multiple of 3 values, got 4.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assign_OutputsTooShort_Throws()
    {
        var set = new CentroidSet(new double[6], 2);

        Assert.Throws<ArgumentException>(() => HardEStep.Assign(set, new float[6], new int[1], new float[2]));
        Assert.Throws<ArgumentException>(() => HardEStep.Assign(set, new float[6], new int[2], default));
        Assert.Throws<ArgumentException>(() => HardEStep.Accumulate(set, new float[6], new ClusterStatistics(2, 3), new int[1]));
    }
}
