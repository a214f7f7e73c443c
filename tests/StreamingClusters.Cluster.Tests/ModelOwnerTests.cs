using StreamingClusters.Cluster.Messages;
using StreamingClusters.Model;
using StreamingClusters.Options;
using StreamingClusters.Scaling;

namespace StreamingClusters.Cluster.Tests;

public sealed class ModelOwnerTests
{
    [Fact]
    public void AddPoints_SameBatchesAsASingleProcess_SameStateBitForBit()
    {
        ClusterModelDefinition definition = TestData.Definition();
        float[][] batches = TestData.Batches(seed: 4, batches: 10, pointsPerBatch: 120, definition.Clusters, definition.Dimensions);
        ModelOwner owner = ModelOwner.Create(definition, TimeProvider.System);

        BatchOutcome[] outcomes = [.. batches.Select(b => owner.AddPoints(b))];

        Assert.Equal([BatchOutcome.Buffered, BatchOutcome.Buffered, .. Enumerable.Repeat(BatchOutcome.Applied, 8)], outcomes);
        Assert.Equal(1200, owner.PointsApplied);
        Assert.Equal(TestData.Comparable(TestData.Reference(definition, batches).ToState()), TestData.Comparable(owner.ToState()!));
    }

    [Fact]
    public void AddPoints_StandardizedSameBatchesAsASingleProcessScaledModel_SameStateBitForBit()
    {
        ClusterModelDefinition definition = TestData.Definition() with { Scaling = ScalingMode.Standardize };
        float[][] batches = TestData.UnevenBatches(seed: 4, batches: 10, pointsPerBatch: 120, definition.Clusters, definition.Dimensions);
        ModelOwner owner = ModelOwner.Create(definition, TimeProvider.System);

        foreach (float[] batch in batches)
        {
            owner.AddPoints(batch);
        }

        ScaledStreamingModel reference = TestData.ScaledReference(definition, batches);
        StreamingModelState state = owner.ToState()!;
        Assert.NotNull(state.Scaling);
        Assert.Equal(reference.Scaling!.Mean.ToArray(), state.Scaling.Mean);
        Assert.Equal(TestData.Comparable(reference.ToState()), TestData.Comparable(state));

        // Restored from its state, it goes on as the single process does.
        float[][] more = TestData.UnevenBatches(seed: 14, batches: 3, pointsPerBatch: 120, definition.Clusters, definition.Dimensions);
        ModelOwner restored = ModelOwner.Restore(definition, state, [], TimeProvider.System);
        foreach (float[] batch in more)
        {
            restored.AddPoints(batch);
        }

        Assert.Equal(TestData.Comparable(TestData.ScaledReference(definition, [.. batches, .. more]).ToState()), TestData.Comparable(restored.ToState()!));
    }

    [Fact]
    public void AddPoints_MixtureSameBatchesAsASingleProcessMixture_SameStateBitForBit()
    {
        ClusterModelDefinition definition = TestData.Definition() with { Model = ModelKind.GaussianMixture };
        float[][] batches = TestData.Batches(seed: 4, batches: 10, pointsPerBatch: 120, definition.Clusters, definition.Dimensions);
        ModelOwner owner = ModelOwner.Create(definition, TimeProvider.System);

        BatchOutcome[] outcomes = [.. batches.Select(b => owner.AddPoints(b))];
        ModelOwner restored = ModelOwner.Restore(definition, owner.ToState(), [], TimeProvider.System);
        float[][] more = TestData.Batches(seed: 14, batches: 2, pointsPerBatch: 120, definition.Clusters, definition.Dimensions);
        foreach (float[] batch in more)
        {
            restored.AddPoints(batch);
        }

        Assert.Equal([BatchOutcome.Buffered, BatchOutcome.Buffered, .. Enumerable.Repeat(BatchOutcome.Applied, 8)], outcomes);
        Assert.NotNull(owner.ToState()!.Mixture);
        Assert.Equal(TestData.Comparable(TestData.MixtureReference(definition, batches).ToState()), TestData.Comparable(owner.ToState()!));
        Assert.Equal(TestData.Comparable(TestData.MixtureReference(definition, [.. batches, .. more]).ToState()), TestData.Comparable(restored.ToState()!));
    }

    [Fact]
    public void Restore_AStateWithoutScalingForAStandardizedModel_Refused()
    {
        ClusterModelDefinition definition = TestData.Definition();
        ModelOwner owner = ModelOwner.Create(definition, TimeProvider.System);
        owner.AddPoints(TestData.Batches(seed: 4, batches: 1, pointsPerBatch: 300, definition.Clusters, definition.Dimensions)[0]);

        ArgumentException refused = Assert.Throws<ArgumentException>(() =>
            ModelOwner.Restore(definition with { Scaling = ScalingMode.Standardize }, owner.ToState(), [], TimeProvider.System));

        Assert.StartsWith("The persisted state has no column scaling but the model's scaling is Standardize.", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_WhileSeeding_KeepsTheBufferAndSeedsOnIt()
    {
        ClusterModelDefinition definition = TestData.Definition();
        float[][] batches = TestData.Batches(seed: 5, batches: 4, pointsPerBatch: 100, definition.Clusters, definition.Dimensions);
        ModelOwner first = ModelOwner.Create(definition, TimeProvider.System);
        first.AddPoints(batches[0]);
        first.AddPoints(batches[1]);

        ModelOwner restored = ModelOwner.Restore(definition, first.ToState(), first.SeedBuffer.ToArray(), TimeProvider.System);
        restored.AddPoints(batches[2]);
        restored.AddPoints(batches[3]);

        Assert.Null(first.ToState());
        Assert.Equal(200, first.PointsBuffered);
        Assert.Equal(TestData.Comparable(TestData.Reference(definition, batches).ToState()), TestData.Comparable(restored.ToState()!));
    }

    [Fact]
    public void Restore_AfterASeedingAttemptOnTooFewDistinctPoints_SeedsAsTheOwnerThatStayed()
    {
        ClusterModelDefinition definition = TestData.Definition();
        float[] threeDistinct = [.. Enumerable.Range(0, definition.SeedingBufferSize).SelectMany(i => Enumerable.Repeat((float)(i % 3), definition.Dimensions))];
        float[][] batches = TestData.Batches(seed: 8, batches: 3, pointsPerBatch: 100, definition.Clusters, definition.Dimensions);
        ModelOwner stayed = ModelOwner.Create(definition, TimeProvider.System);

        Assert.Equal(BatchOutcome.Buffered, stayed.AddPoints(threeDistinct));
        Assert.NotEqual(ModelOwner.Create(definition, TimeProvider.System).SeedingRandomState, stayed.SeedingRandomState);
        ModelOwner restored = ModelOwner.Restore(definition, stayed.ToState(), stayed.SeedBuffer.ToArray(), TimeProvider.System, stayed.SeedingRandomState);
        foreach (float[] batch in batches)
        {
            stayed.AddPoints(batch);
            restored.AddPoints(batch);
        }

        Assert.True(stayed.IsSeeded);
        Assert.Null(stayed.SeedingRandomState);
        Assert.Equal(TestData.Comparable(stayed.ToState()!), TestData.Comparable(restored.ToState()!));
    }
}
