using StreamingClusters.Model;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Model;

public class ClusterModelReseedTests
{
    [Fact]
    public void Apply_ClusterThatGetsNoPoints_IsReseededOnARecentPoint()
    {
        var model = new ClusterModel(new ModelSettings(3, 2) { Seed = 5 });
        model.SetCentroids([0, 0, 10, 0, 1000, 1000]);
        float[] batch = [.. Enumerable.Range(0, 100).SelectMany(i => new[] { (i % 10) * 0.1f, (i / 10) * 0.1f, 10 + ((i % 10) * 0.1f), (i / 10) * 0.1f })];

        ModelUpdate update = Streaming.Step(model, batch);

        ReseedEvent reseed = Assert.Single(update.Reseeds);
        Assert.Equal(2, reseed.Cluster);
        Assert.Equal(0, reseed.PreviousWeight);
        Assert.Equal(100, reseed.NewWeight);
        Assert.Equal(100, model.Weights[2]);
        Assert.Equal(0, model.Inertia[2]);
        double[] moved = model.Centroids[4..].ToArray();
        Assert.Contains(Enumerable.Range(0, 200), i => batch[2 * i] == moved[0] && batch[(2 * i) + 1] == moved[1]);
        Assert.Equal(moved, model.Current.Centroid(2).ToArray().Select(v => (double)v));
    }

    [Fact]
    public void Apply_Reseed_RetiresTheSlotsIdAndGivesItOneNeverUsed()
    {
        var model = new ClusterModel(new ModelSettings(3, 2) { Seed = 5 });
        model.SetCentroids([0, 0, 10, 0, 1000, 1000]);
        float[] batch = [.. Enumerable.Range(0, 100).SelectMany(i => new[] { (i % 10) * 0.1f, (i / 10) * 0.1f, 10 + ((i % 10) * 0.1f), (i / 10) * 0.1f })];
        Assert.Equal([0L, 1, 2], model.Ids.ToArray());

        ReseedEvent reseed = Assert.Single(Streaming.Step(model, batch).Reseeds);

        Assert.Equal(2, reseed.RetiredId);
        Assert.Equal(3, reseed.NewId);
        Assert.Equal([0L, 1, 3], model.Ids.ToArray());
        ClusterModel restored = ClusterModel.Restore(model.ToState());
        Assert.Equal([0L, 1, 3], restored.Ids.ToArray());
        Assert.Equal(4, restored.ToState().NextId);
    }

    [Fact]
    public void Restore_StateWithoutIds_NumbersTheClustersAfresh()
    {
        var model = new ClusterModel(new ModelSettings(3, 1));
        model.SetCentroids([0, 1, 2]);

        ClusterModel restored = ClusterModel.Restore(model.ToState() with { Ids = null, NextId = 0 });

        Assert.Equal([0L, 1, 2], restored.Ids.ToArray());
        Assert.Equal(3, restored.ToState().NextId);
    }

    [Fact]
    public void Apply_ReseedingOff_LeavesAStarvedClusterAlone()
    {
        var model = new ClusterModel(new ModelSettings(2, 1) { ReseedRatio = 0 });
        model.SetCentroids([0, 1000]);

        ModelUpdate update = Streaming.Step(model, [1f, 2f, 3f]);

        Assert.Empty(update.Reseeds);
        Assert.Equal(1000, model.Centroids[1]);
    }

    [Fact]
    public void Run_SameSeed_BitIdenticalState_DifferentSeed_DifferentState()
    {
        (float[] buffer, float[][] batches) = ShiftingStream.Create();

        ClusterModel first = ShiftingStream.Seeded(7, buffer);
        int reseeds = ShiftingStream.Run(first, batches);
        ClusterModel second = ShiftingStream.Seeded(7, buffer);
        ShiftingStream.Run(second, batches);
        ClusterModel other = ShiftingStream.Seeded(8, buffer);
        ShiftingStream.Run(other, batches);

        Assert.True(reseeds >= 3, $"the stream reseeded only {reseeds} times");
        Bitwise.AssertEqual(first.ToState(), second.ToState());
        Assert.False(Bitwise.Equal(first.ToState(), other.ToState()));
    }
}
