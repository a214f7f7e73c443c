using StreamingClusters.Model;
using StreamingClusters.Statistics;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Model;

public class ClusterModelNonFiniteTests
{
    [Fact]
    public void Apply_SumsThatOverflow_ThrowsAndLeavesTheModelUnchanged()
    {
        var model = new ClusterModel(new ModelSettings(2, 1));
        model.SetCentroids([0, 0]);
        model.Apply(Statistics(cluster: 1, sum: 1e308), 1.0, []);
        ClusterModelState before = model.ToState();

        // (1·1e308 + 1e308) / 2 overflows before the division.
        var error = Assert.Throws<NonFiniteModelException>(() => model.Apply(Statistics(cluster: 1, sum: 1e308), 1.0, []));

        Assert.Equal(1, error.Cluster);
        Assert.Equal(2, error.Version);
        Assert.Equal("The update to version 2 would make cluster 1 non-finite; it was refused and the model stays at version 1.", error.Message);
        Bitwise.AssertEqual(before, model.ToState());
        Assert.Equal(1, model.Current.Version);
    }

    [Fact]
    public void Apply_PointsNearFloatMaxValue_ThrowsAndLeavesTheModelUnchanged()
    {
        var model = new ClusterModel(new ModelSettings(2, 2));
        model.SetCentroids([0, 0, 1, 1]);
        Streaming.Step(model, [0.5f, 0.5f, 1f, 2f]);
        ClusterModelState before = model.ToState();

        // Their squared distance overflows float: the inertia would become infinite.
        Assert.Throws<NonFiniteModelException>(() => Streaming.Step(model, [3e38f, 3e38f]));

        Bitwise.AssertEqual(before, model.ToState());
        Assert.Equal(before.Version, model.Current.Version);
    }

    private static ClusterStatistics Statistics(int cluster, double sum)
    {
        var statistics = new ClusterStatistics(2, 1);
        statistics.Counts[cluster] = 1;
        statistics.Sums[cluster] = sum;
        return statistics;
    }
}
