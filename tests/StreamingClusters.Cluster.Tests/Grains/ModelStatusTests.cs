using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Messages;

namespace StreamingClusters.Cluster.Tests.Grains;

/// <summary>A model grain's status: small, what was persisted, and answered while the grain is busy with a batch.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ModelStatusTests(ClusterFixture fixture)
{
    [Fact]
    public async Task GetStatus_WhileABatchHoldsTheGrain_AnsweredWithThePersistedProgress()
    {
        const string Name = "status-interleaved";
        ClusterModelDefinition definition = TestData.Definition();
        float[][] batches = TestData.Batches(seed: 41, batches: 2, pointsPerBatch: 150, definition.Clusters, definition.Dimensions);
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>(Name);
        ModelDefinedStatus undefined = await Undefined(grain);
        string? incarnation = (await grain.Define(definition with { SeedingBufferSize = 100 })).Incarnation;
        ModelStatus defined = await grain.GetStatus();
        await grain.AddPoints(new PointsBatch { Producer = "p", Sequence = 1, Points = batches[0], Incarnation = incarnation });

        (Task held, Action release) = HeldTurn.Arm(Name);
        Task<BatchReceipt> second = grain.AddPoints(new PointsBatch { Producer = "p", Sequence = 2, Points = batches[1], Incarnation = incarnation });
        await held;

        // Bounded only so that a status waiting behind the held batch fails the test instead of hanging it.
        ModelStatus during = await grain.GetStatus().WaitAsync(TimeSpan.FromSeconds(30));
        release();
        BatchReceipt receipt = await second;

        Assert.True(undefined.Missing);
        Assert.False(defined.Seeded);
        Assert.Equal(0, defined.PointsApplied);
        Assert.True(during.Seeded);
        Assert.Equal(receipt.Version, during.Version);
        Assert.Equal(300, during.PointsApplied);
        Assert.Equal(definition.Clusters, during.Definition.Clusters);
    }

    private static async Task<ModelDefinedStatus> Undefined(IModelGrain grain)
    {
        try
        {
            await grain.GetStatus();
            return new ModelDefinedStatus(false);
        }
        catch (KeyNotFoundException)
        {
            return new ModelDefinedStatus(true);
        }
    }

    private sealed record ModelDefinedStatus(bool Missing);
}
