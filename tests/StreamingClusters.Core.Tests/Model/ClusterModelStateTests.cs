using StreamingClusters.Model;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Model;

public class ClusterModelStateTests
{
    [Fact]
    public void Restore_StateTakenMidStream_ContinuesBitIdentically()
    {
        (float[] buffer, float[][] batches) = ShiftingStream.Create();
        ClusterModel original = ShiftingStream.Seeded(11, buffer);
        ShiftingStream.Run(original, batches[..20]);

        ClusterModel restored = ClusterModel.Restore(original.ToState());
        Bitwise.AssertEqual(original.ToState(), restored.ToState());

        int reseeds = 0;
        foreach (float[] batch in batches[20..])
        {
            ModelUpdate expected = Streaming.Step(original, batch, ShiftingStream.Discount);
            ModelUpdate actual = Streaming.Step(restored, batch, ShiftingStream.Discount);
            Assert.Equal(expected.Reseeds, actual.Reseeds);
            Assert.Equal(expected.Version, actual.Version);
            reseeds += actual.Reseeds.Count;
        }

        Assert.True(reseeds > 0, "the continuation never used the random generator");
        Bitwise.AssertEqual(original.ToState(), restored.ToState());
    }

    [Fact]
    public void Restore_UnseededState_CanBeSeededLikeTheOriginal()
    {
        (float[] buffer, _) = ShiftingStream.Create(batches: 0);
        var original = new ClusterModel(new ModelSettings(ShiftingStream.Clusters, ShiftingStream.Dimensions) { Seed = 3 });

        ClusterModel restored = ClusterModel.Restore(original.ToState());
        Assert.False(restored.IsSeeded);
        original.Seed(buffer);
        restored.Seed(buffer);

        Bitwise.AssertEqual(original.ToState(), restored.ToState());
    }

    [Fact]
    public void ToState_ThenChangeTheState_DoesNotChangeTheModel()
    {
        var model = new ClusterModel(new ModelSettings(1, 2));
        model.SetCentroids([1, 2]);
        ClusterModelState state = model.ToState();

        state.Centroids[0] = 99;
        state.RandomState[0] = 0;

        Assert.Equal(1, model.Centroids[0]);
        Assert.NotEqual(model.ToState().RandomState, state.RandomState);
    }

    [Fact]
    public void Restore_ArraysThatDoNotFitTheShape_Throws()
    {
        var model = new ClusterModel(new ModelSettings(2, 2));
        ClusterModelState state = model.ToState() with { Weights = new double[3] };

        var error = Assert.Throws<ArgumentException>(() => ClusterModel.Restore(state));

        Assert.StartsWith("The state's arrays do not fit its shape (k=2, d=2).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_NonFiniteCentroid_ThrowsNonFiniteModelException()
    {
        var model = new ClusterModel(new ModelSettings(2, 2));
        model.SetCentroids([0, 0, 1, 1]);
        ClusterModelState state = model.ToState() with { Centroids = [0, 0, 1, double.PositiveInfinity] };

        var error = Assert.Throws<NonFiniteModelException>(() => ClusterModel.Restore(state));

        Assert.Equal(1, error.Cluster);
    }
}
