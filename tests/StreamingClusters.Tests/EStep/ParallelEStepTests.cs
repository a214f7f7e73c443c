using StreamingClusters.EStep;
using StreamingClusters.Statistics;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.EStep;

/// <summary>
/// The parallel E-step must give the bits one thread gives, whichever thread computed each shard:
/// also when a helper stalls in the middle of a shard and the caller computes that shard itself.
/// </summary>
public sealed class ParallelEStepTests
{
    private const int Clusters = 7;
    private const int Dimensions = 5;
    private const int ShardSize = 64;
    private const int MaxBatch = 1_000;

    private static ParallelEStep<HardEStepWork, ClusterStatistics> CreateSut(int parallelism, Action? helperShardStarting = null) =>
        new(Clusters, Dimensions, ShardSize, parallelism, MaxBatch, helperShardStarting);

    private static CentroidSet Model()
    {
        float[] seeds = TestData.Blobs(Clusters, Dimensions, Clusters, seed: 3);
        return new CentroidSet([.. seeds.Select(v => (double)v)], Clusters, 1);
    }

    /// <summary>What one thread gives: the statistics, the assignments and the distances of the first <paramref name="count"/> points.</summary>
    private static (ClusterStatistics Total, int[] Clusters, float[] Distances) Reference(CentroidSet model, float[] points, int count)
    {
        ParallelEStep<HardEStepWork, ClusterStatistics> one = CreateSut(parallelism: 1);
        ClusterStatistics total = one.Run(new HardEStepWork(model), points, count).Clone();
        return (total, one.Labels[..count], one.Scores[..count]);
    }

    private static void AssertSameBits((ClusterStatistics Total, int[] Clusters, float[] Distances) expected, ParallelEStep<HardEStepWork, ClusterStatistics> actual, int count)
    {
        Assert.True(expected.Total.BitwiseEquals(actual.Total), "statistics differ");
        Assert.Equal(expected.Clusters, actual.Labels[..count]);
        Assert.Equal(
            expected.Distances.Select(BitConverter.SingleToInt32Bits),
            actual.Scores[..count].Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(2, 63)]
    [InlineData(2, 1_000)]
    [InlineData(3, 640)]
    [InlineData(4, 999)]
    public void Run_AnyParallelism_SameBitsAsOneThread(int parallelism, int count)
    {
        CentroidSet model = Model();
        float[] points = TestData.Blobs(MaxBatch, Dimensions, Clusters, seed: 11);
        var expected = Reference(model, points, count);
        ParallelEStep<HardEStepWork, ClusterStatistics> sut = CreateSut(parallelism);
        try
        {
            // Several batches in a row: the helpers' buffers of one batch must not leak into the next.
            for (int round = 0; round < 20; round++)
            {
                sut.Run(new HardEStepWork(model), points, count);
                AssertSameBits(expected, sut, count);
            }
        }
        finally
        {
            sut.Stop();
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Run_PointsBounded_SameBitsAsChecked(int parallelism)
    {
        // The model stage tells the E-step that its points passed the ingest check; skipping the check
        // of its own must not change a bit.
        CentroidSet model = Model();
        float[] points = TestData.Blobs(MaxBatch, Dimensions, Clusters, seed: 13);
        points[17] = 1e18f;
        points[(MaxBatch * Dimensions) - 1] = -1e18f;
        var expected = Reference(model, points, MaxBatch);
        ParallelEStep<HardEStepWork, ClusterStatistics> sut = CreateSut(parallelism);
        try
        {
            for (int round = 0; round < 5; round++)
            {
                sut.Run(new HardEStepWork(model, pointsBounded: true), points, MaxBatch);
                AssertSameBits(expected, sut, MaxBatch);
            }
        }
        finally
        {
            sut.Stop();
        }
    }

    [Fact]
    public void Run_HelperStalledInAShard_CallerComputesItAndLaterBatchesKeepTheirBits()
    {
        CentroidSet model = Model();
        float[][] batches = [.. Enumerable.Range(0, 3).Select(b => TestData.Blobs(MaxBatch, Dimensions, Clusters, seed: (ulong)(20 + b)))];
        var expected = batches.Select(points => Reference(model, points, MaxBatch)).ToArray();
        using var stalled = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        int shardsStarted = 0;
        ParallelEStep<HardEStepWork, ClusterStatistics> sut = CreateSut(parallelism: 2, helperShardStarting: () =>
        {
            if (Interlocked.Increment(ref shardsStarted) == 1)
            {
                stalled.Set();
                release.Wait();
            }
        });
        try
        {
            // The helper holds the first shard it claims until released; until it has claimed one,
            // the caller may have done every shard itself.
            for (int round = 0; !stalled.IsSet; round++)
            {
                Assert.True(round < 100_000, "The helper never claimed a shard.");
                sut.Run(new HardEStepWork(model), batches[0], MaxBatch);
                AssertSameBits(expected[0], sut, MaxBatch);
            }

            Assert.Equal(1, sut.TakenOver);

            // Another batch while the helper still sits in the old one's shard.
            sut.Run(new HardEStepWork(model), batches[1], MaxBatch);
            AssertSameBits(expected[1], sut, MaxBatch);

            // The helper finishes its stale shard into its own buffers, then helps with new batches.
            release.Set();
            for (int round = 0; round < 50; round++)
            {
                sut.Run(new HardEStepWork(model), batches[2], MaxBatch);
                AssertSameBits(expected[2], sut, MaxBatch);
            }
        }
        finally
        {
            release.Set();
            sut.Stop();
        }
    }
}
