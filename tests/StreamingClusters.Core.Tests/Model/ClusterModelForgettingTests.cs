using StreamingClusters.Model;
using StreamingClusters.MStep;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Model;

/// <summary>After one half-life, in any unit, an old point's weight in its centroid has halved.</summary>
public class ClusterModelForgettingTests
{
    private const float OldPoint = 1f;
    private const float NewPoint = -1f;

    [Fact]
    public void Apply_OneHalfLifeInBatches_OldPointWeighsOneHalf()
    {
        HalfLife halfLife = HalfLife.InBatches(10);
        int[] sizes = [5, 1, 30, 2, 2, 9, 100, 1, 1, 7];

        Assert.Equal(0.5, OldPointWeightAfter(halfLife, sizes, gaps: null), 1e-12);
    }

    [Fact]
    public void Apply_OneHalfLifeInPoints_OldPointWeighsOneHalf()
    {
        HalfLife halfLife = HalfLife.InPoints(1_000);
        int[] sizes = [1, 499, 250, 3, 247];

        Assert.Equal(0.5, OldPointWeightAfter(halfLife, sizes, gaps: null), 1e-12);
    }

    [Fact]
    public void Apply_OneHalfLifeInTime_OldPointWeighsOneHalfWhateverTheTraffic()
    {
        HalfLife halfLife = HalfLife.Parse("10m");
        int[] sizes = [500, 1, 1, 2000];
        TimeSpan[] gaps = [TimeSpan.FromMinutes(4), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(179), TimeSpan.FromMinutes(3)];

        Assert.Equal(0.5, OldPointWeightAfter(halfLife, sizes, gaps), 1e-12);
    }

    [Fact]
    public void Apply_AfterAnIdleNightWithAShortHalfLife_ForgetsTheOldPointsAndTakesTheBatch()
    {
        var model = new ClusterModel(new ModelSettings(1, 1));
        model.SetCentroids([0]);
        Streaming.Step(model, [OldPoint, OldPoint, OldPoint]);
        double discount = HalfLife.Parse("30s").Discount(2, TimeSpan.FromHours(9));

        Streaming.Step(model, [NewPoint, NewPoint], discount);

        Assert.Equal(NewPoint, model.Centroids[0]);
        Assert.Equal(2, model.Weights[0]);
    }

    [Fact]
    public void Apply_NoHalfLife_OldPointKeepsItsWholeWeight()
    {
        Assert.Equal(1.0, OldPointWeightAfter(HalfLife.None, [10, 20, 30], gaps: null), 1e-12);
    }

    /// <summary>
    /// One cluster, one old point at +1, then batches of new points at −1. The centroid is
    /// (w_old·(+1) + w_new·(−1)) / w, so the old point's weight is w·(μ + 1) / 2.
    /// </summary>
    private static double OldPointWeightAfter(HalfLife halfLife, int[] sizes, TimeSpan[]? gaps)
    {
        var model = new ClusterModel(new ModelSettings(1, 1));
        model.SetCentroids([0]);
        Streaming.Step(model, [OldPoint]);
        for (int b = 0; b < sizes.Length; b++)
        {
            float[] batch = Enumerable.Repeat(NewPoint, sizes[b]).ToArray();
            Streaming.Step(model, batch, halfLife.Discount(sizes[b], gaps?[b] ?? TimeSpan.Zero));
        }

        return model.Weights[0] * (model.Centroids[0] - NewPoint) / (OldPoint - NewPoint);
    }
}
