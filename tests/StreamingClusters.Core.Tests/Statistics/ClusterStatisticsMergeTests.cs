using StreamingClusters.EStep;
using StreamingClusters.Randomness;
using StreamingClusters.Statistics;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Statistics;

/// <summary>Statistics form a commutative monoid, and sharded accumulation does not depend on threads.</summary>
public class ClusterStatisticsMergeTests
{
    [Fact]
    public void Add_IntegerValuedStatistics_IsAssociativeAndCommutativeBitForBit()
    {
        // Integer-valued points keep every double sum exact, so the laws hold bit for bit.
        var random = new ModelRandom(701);
        for (int run = 0; run < 200; run++)
        {
            int k = 1 + random.NextInt32(9);
            int d = 1 + random.NextInt32(19);
            ClusterStatistics a = RandomIntegerStatistics(random, k, d);
            ClusterStatistics b = RandomIntegerStatistics(random, k, d);
            ClusterStatistics c = RandomIntegerStatistics(random, k, d);

            ClusterStatistics abThenC = Merge(Merge(a, b), c);
            ClusterStatistics aThenBc = Merge(a, Merge(b, c));
            Assert.True(abThenC.BitwiseEquals(aThenBc), $"run {run}: (a+b)+c differs from a+(b+c)");
            Assert.True(Merge(a, b).BitwiseEquals(Merge(b, a)), $"run {run}: a+b differs from b+a");
            Assert.True(Merge(a, new ClusterStatistics(k, d)).BitwiseEquals(a), $"run {run}: a+0 differs from a");
            Assert.Equal(a.TotalCount + b.TotalCount + c.TotalCount, abThenC.TotalCount);
        }
    }

    [Fact]
    public void CopyFrom_StatisticsOfPoints_SameBitsAsClearThenAdd()
    {
        // Points with negative, zero and cancelling coordinates: a sum from +0 is never −0, so the copy is exact.
        const int K = 5, D = 7;
        var random = new ModelRandom(31);
        var source = new ClusterStatistics(K, D);
        for (int i = 0; i < 300; i++)
        {
            float[] point = [.. Enumerable.Range(0, D).Select(_ => random.NextInt32(3) == 0 ? 0f : (float)random.NextGaussian())];
            source.AddPoint(random.NextInt32(K), point, (float)random.NextDouble());
            source.AddPoint(random.NextInt32(K), [.. point.Select(v => -v)], 0f);
        }

        var added = new ClusterStatistics(K, D);
        added.AddPoint(0, new float[D], 1f);
        added.Clear();
        added.Add(source);
        var copied = new ClusterStatistics(K, D);
        copied.AddPoint(3, Enumerable.Repeat(2.5f, D).ToArray(), 4f);
        copied.CopyFrom(source);

        Assert.True(copied.BitwiseEquals(added));
        Assert.Throws<ArgumentException>(() => copied.CopyFrom(new ClusterStatistics(K, D + 1)));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(8, 4)]
    [InlineData(9, 7)]
    [InlineData(64, 16)]
    [InlineData(65, 17)]
    [InlineData(5, 131)]
    public void Add_AnyValues_IsEachElementsScalarSumBitForBit(int k, int d)
    {
        var random = new ModelRandom((ulong)((k * 977) + d));
        var total = new ClusterStatistics(k, d);
        var counts = new long[k];
        var errors = new double[k];
        var sums = new double[k * d];
        for (int shard = 0; shard < 5; shard++)
        {
            var part = new ClusterStatistics(k, d);
            for (int c = 0; c < k; c++)
            {
                part.Counts[c] = random.NextInt32(1000) + (shard == 4 ? (1L << 40) : 0);
                part.SquaredErrors[c] = random.NextDouble() * Math.Pow(10, random.NextInt32(12) - 6);
            }

            for (int i = 0; i < k * d; i++)
            {
                part.Sums[i] = random.NextGaussian() * Math.Pow(10, random.NextInt32(12) - 6);
            }

            total.Add(part);
            for (int c = 0; c < k; c++)
            {
                counts[c] += part.Counts[c];
                errors[c] += part.SquaredErrors[c];
            }

            for (int i = 0; i < k * d; i++)
            {
                sums[i] += part.Sums[i];
            }
        }

        Assert.Equal(counts, total.Counts.ToArray());
        Bitwise.AssertEqual(errors, total.SquaredErrors, "squared errors");
        Bitwise.AssertEqual(sums, total.Sums, "sums");
    }

    [Theory]
    [InlineData(10_000, 7, 13, 512)]
    [InlineData(4_099, 16, 64, 256)]
    [InlineData(3_001, 33, 5, 1_000)]
    public void Accumulate_FixedShardsMergedInOrder_BitIdenticalWhateverTheThreadCount(int n, int d, int k, int shardSize)
    {
        var random = new ModelRandom((ulong)(n + d + k));
        float[] points = ArbitraryFloats(random, n * d);
        var model = new CentroidSet(GeneratedData.GaussianAsDouble(random, k * d, 100), k);
        int shards = (n + shardSize - 1) / shardSize;

        ClusterStatistics sequential = new(k, d);
        foreach (ClusterStatistics shard in AccumulateShards(model, points, shardSize, shards, threads: 0))
        {
            sequential.Add(shard);
        }

        foreach (int threads in new[] { 1, 2, 8 })
        {
            ClusterStatistics merged = new(k, d);
            foreach (ClusterStatistics shard in AccumulateShards(model, points, shardSize, shards, threads))
            {
                merged.Add(shard);
            }

            Assert.True(merged.BitwiseEquals(sequential), $"{threads} threads gave different bits");
        }

        Assert.Equal(n, sequential.TotalCount);
    }

    /// <summary>Each shard into its own statistics; threads = 0 runs them one after another without Parallel.For.</summary>
    private static ClusterStatistics[] AccumulateShards(CentroidSet model, float[] points, int shardSize, int shards, int threads)
    {
        int d = model.Dimensions;
        var results = new ClusterStatistics[shards];
        void Shard(int s)
        {
            int start = s * shardSize * d;
            int length = Math.Min(shardSize * d, points.Length - start);
            results[s] = new ClusterStatistics(model.Clusters, d);
            HardEStep.Accumulate(model, points.AsSpan(start, length), results[s]);
        }

        if (threads == 0)
        {
            for (int s = 0; s < shards; s++)
            {
                Shard(s);
            }
        }
        else
        {
            Parallel.For(0, shards, new ParallelOptions { MaxDegreeOfParallelism = threads }, Shard);
        }

        return results;
    }

    /// <summary>Floats spread over twelve orders of magnitude, so that the order of every double sum matters.</summary>
    private static float[] ArbitraryFloats(ModelRandom random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextGaussian() * Math.Pow(10, random.NextInt32(12) - 6));
        }

        return values;
    }

    private static ClusterStatistics RandomIntegerStatistics(ModelRandom random, int k, int d)
    {
        var statistics = new ClusterStatistics(k, d);
        int count = random.NextInt32(50);
        for (int i = 0; i < count; i++)
        {
            float[] point = GeneratedData.Integers(random, d, -1000, 1000);
            statistics.AddPoint(random.NextInt32(k), point, random.NextInt32(1_000_000));
        }

        return statistics;
    }

    private static ClusterStatistics Merge(ClusterStatistics left, ClusterStatistics right)
    {
        ClusterStatistics sum = left.Clone();
        sum.Add(right);
        return sum;
    }
}
