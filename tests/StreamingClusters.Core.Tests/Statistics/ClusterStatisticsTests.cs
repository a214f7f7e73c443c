using StreamingClusters.Statistics;

namespace StreamingClusters.Tests.Statistics;

public class ClusterStatisticsTests
{
    [Fact]
    public void AddPoint_TwoPoints_AccumulatesCountSumAndSquaredError()
    {
        var statistics = new ClusterStatistics(3, 2);

        statistics.AddPoint(1, [1f, 2f], 0.5);
        statistics.AddPoint(1, [3f, -4f], 1.5);

        Assert.Equal([0L, 2L, 0L], statistics.Counts.ToArray());
        Assert.Equal([4.0, -2.0], statistics.SumOf(1).ToArray());
        Assert.Equal([0.0, 0.0, 0.0, 0.0], statistics.SumOf(0).ToArray().Concat(statistics.SumOf(2).ToArray()));
        Assert.Equal(2.0, statistics.SquaredErrors[1]);
        Assert.Equal(2, statistics.TotalCount);
        Assert.Equal(2.0, statistics.TotalSquaredError);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(17)]
    public void AddPoint_AnyDimension_SumsInDoublePrecision(int dimensions)
    {
        // 2^24 + 1 is not a float, but the sum of two floats that make it is exact in double.
        var statistics = new ClusterStatistics(1, dimensions);
        float[] big = Enumerable.Repeat(16_777_216f, dimensions).ToArray();
        float[] one = Enumerable.Repeat(1f, dimensions).ToArray();

        statistics.AddPoint(0, big, 0);
        statistics.AddPoint(0, one, 0);

        Assert.All(statistics.SumOf(0).ToArray(), s => Assert.Equal(16_777_217.0, s));
    }

    [Theory]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(24)]
    public void AddPoint_PointOfAnotherDimension_ThrowsAndAddsNothing(int length)
    {
        // Into the last cluster, where a longer point would be written past the end of the sums.
        var statistics = new ClusterStatistics(2, 8);

        var error = Assert.Throws<ArgumentException>(() => statistics.AddPoint(1, new float[length], 0));

        Assert.StartsWith($"A point of d = 8 must have 8 values, got {length}.", error.Message, StringComparison.Ordinal);
        Assert.True(statistics.BitwiseEquals(new ClusterStatistics(2, 8)));
    }

    [Fact]
    public void Add_MismatchedShape_ThrowsNamingBothShapes()
    {
        var statistics = new ClusterStatistics(3, 2);

        var error = Assert.Throws<ArgumentException>(() => statistics.Add(new ClusterStatistics(2, 3)));

        Assert.StartsWith("Statistics of shape (k=2, d=3) cannot merge into (k=3, d=2).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Clone_ThenChangeOriginal_CopyIsIndependent()
    {
        var statistics = new ClusterStatistics(2, 2);
        statistics.AddPoint(0, [1f, 1f], 1);

        ClusterStatistics copy = statistics.Clone();
        statistics.AddPoint(0, [1f, 1f], 1);

        Assert.Equal(1, copy.TotalCount);
        Assert.False(copy.BitwiseEquals(statistics));
    }

    [Fact]
    public void Clear_AfterPoints_IsTheIdentity()
    {
        var statistics = new ClusterStatistics(2, 3);
        statistics.AddPoint(1, [1f, 2f, 3f], 4);

        statistics.Clear();

        Assert.True(statistics.BitwiseEquals(new ClusterStatistics(2, 3)));
    }

    [Fact]
    public void BitwiseEquals_NegativeZeroAgainstZero_IsFalse()
    {
        var a = new ClusterStatistics(1, 1);
        var b = new ClusterStatistics(1, 1);
        b.Sums[0] = -0.0;

        Assert.False(a.BitwiseEquals(b));
        Assert.False(a.BitwiseEquals(new ClusterStatistics(1, 2)));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    public void Constructor_NonPositiveShape_Throws(int clusters, int dimensions)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClusterStatistics(clusters, dimensions));
    }
}
