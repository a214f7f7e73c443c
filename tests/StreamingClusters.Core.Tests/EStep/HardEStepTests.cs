using StreamingClusters.EStep;
using StreamingClusters.Randomness;
using StreamingClusters.Statistics;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.EStep;

public class HardEStepTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(100.0)]
    [InlineData(1000.0)]
    public void Assign_SeparatedPoints_NearestWithinScoreResolutionAndAccurateSquaredDistance(double offset)
    {
        // Far from the origin (sensor readings around 1000 hPa), ‖x‖² dwarfs ‖x − μ‖²: the distance
        // must still be accurate relative to itself, or the objective and the inertia mean nothing.
        var random = new ModelRandom(31);
        for (int run = 0; run < 100; run++)
        {
            int k = 1 + random.NextInt32(70);
            int d = 1 + random.NextInt32(20);
            int n = 1 + random.NextInt32(300);
            double[] means = Shift(GeneratedData.GaussianAsDouble(random, k * d, 3), offset);
            float[] points = GeneratedData.SeparatedPoints(random, means, k, n, spread: 1);
            var nearest = new int[n];
            var distances = new float[n];

            HardEStep.Assign(new CentroidSet(means, k), points, nearest, distances);

            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<float> x = points.AsSpan(i * d, d);
                int expected = GeneratedData.Nearest(x, means, k);
                double best = GeneratedData.SquaredDistance(x, means.AsSpan(expected * d, d));
                double chosen = GeneratedData.SquaredDistance(x, means.AsSpan(nearest[i] * d, d));

                // The float score ‖μ‖² − 2x·μ resolves squared distances only to about 1e-7 ‖x‖²:
                // far from the origin a near-tie may go either way, but never by more than that.
                double resolution = 1e-6 * (1 + GeneratedData.SquaredDistance(x, new double[d]));
                Assert.True(
                    nearest[i] == expected || chosen - best <= resolution,
                    $"run {run}, point {i}: chose {nearest[i]} at {chosen:R}, nearest is {expected} at {best:R}");
                Assert.True(Math.Abs(distances[i] - chosen) <= 1e-5 * chosen, $"run {run}, point {i}: {distances[i]:R} vs {chosen:R}");
            }
        }
    }

    [Fact]
    public void Assign_PointOnItsCentroid_HasSquaredDistanceZero()
    {
        double[] means = [1000.25, -3.5, 17, 1e-3];
        var distances = new float[2];

        HardEStep.Assign(new CentroidSet(means, 2), [17f, 1e-3f, 1000.25f, -3.5f], new int[2], distances);

        Assert.Equal([0f, 0f], distances);
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

    [Theory]
    [InlineData(16, 64)]
    [InlineData(6, 9)]
    [InlineData(784, 8)]
    public void Accumulate_PointsKnownBounded_SameBitsAsChecked(int d, int k)
    {
        // The pipeline's E-step skips the pass that rules out wild points, which its ingest check already
        // did: statistics, assignments and distances must not change.
        var random = new ModelRandom((ulong)(d + k));
        const int N = 700;
        var set = new CentroidSet(GeneratedData.GaussianAsDouble(random, k * d, 2), k);
        float[] points = GeneratedData.Gaussian(random, N * d, 2);
        points[(3 * d) + 1] = 1e18f;
        points[(400 * d) + d - 1] = -NearestCentroidKernel.BoundedMagnitude;

        var expected = new ClusterStatistics(k, d);
        var expectedNearest = new int[N];
        var expectedDistances = new float[N];
        HardEStep.Accumulate(set, points, expected, expectedNearest, expectedDistances);

        var statistics = new ClusterStatistics(k, d);
        var nearest = new int[N];
        var distances = new float[N];
        HardEStep.Accumulate(set, points, statistics, nearest, distances, pointsBounded: true);

        Assert.True(statistics.BitwiseEquals(expected));
        Assert.Equal(expectedNearest, nearest);
        Assert.True(Bitwise.Equal(expectedDistances, distances));
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
        // Past the runtime's call-counting threshold (30 calls), whose crossing does its own bookkeeping on
        // the calling thread: otherwise the measured calls could be the ones that cross it.
        for (int warm = 0; warm < 40; warm++)
        {
            HardEStep.Accumulate(set, points, statistics, assignments, distances);
            HardEStep.Accumulate(set, points, statistics);
        }

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

    private static double[] Shift(double[] values, double offset) =>
        Array.ConvertAll(values, v => (double)(float)(v + offset));
}
