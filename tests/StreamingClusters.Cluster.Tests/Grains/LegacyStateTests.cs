using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;
using StackExchange.Redis;
using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Messages;

namespace StreamingClusters.Cluster.Tests.Grains;

/// <summary>A grain state persisted in the JSON form (the storage's default serializer, the model as JSON inside) still loads.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LegacyStateTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Activate_StatePersistedAsJson_ModelLedgerAndCountsRestored()
    {
        ClusterModelDefinition definition = TestData.Definition();
        float[][] batches = TestData.Batches(seed: 21, batches: 4, pointsPerBatch: 150, definition.Clusters, definition.Dimensions);
        IModelGrain source = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("legacy-source");
        string? incarnation = (await source.Define(definition)).Incarnation;
        for (int b = 0; b < 3; b++)
        {
            await source.AddPoints(new PointsBatch { Producer = "p", Sequence = b + 1, Points = batches[b], Incarnation = incarnation });
        }

        ModelSummary written = await source.GetSummary();
        await using ConnectionMultiplexer redis = await ConnectionMultiplexer.ConnectAsync(fixture.RedisEndpoint);
        IDatabase db = redis.GetDatabase();
        RedisKey sourceKey = redis.GetServer(fixture.RedisEndpoint).Keys(pattern: "*/legacy-source/*").Single();
        byte[] binary = (byte[])(await db.HashGetAsync(sourceKey, "data"))!;

        // The form an earlier version wrote: the storage's default (JSON) serializer, the model as JSON.
        var legacy = new ModelGrainState
        {
            Definition = definition,
            Model = ModelStateJson.Write(ModelStateCodec.Read(written.State!)),
            Sequences = { ["p"] = 3 },
            LastSeen = { ["p"] = DateTimeOffset.UtcNow },
            DuplicatesDropped = 4,
            StaleBatches = 5,
        };
        IGrainStorageSerializer json = ((InProcessSiloHandle)fixture.Cluster.Primary!).ServiceProvider.GetRequiredService<IGrainStorageSerializer>();
        byte[] legacyData = json.Serialize(legacy).ToArray();
        RedisKey legacyKey = sourceKey.ToString().Replace("legacy-source", "legacy-json", StringComparison.Ordinal);
        await db.HashSetAsync(legacyKey, [new HashEntry("etag", "legacy"), new HashEntry("data", legacyData)]);

        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("legacy-json");
        ModelSummary restored = await grain.GetSummary();
        BatchReceipt resent = await grain.AddPoints(new PointsBatch { Producer = "p", Sequence = 3, Points = batches[2] });
        BatchReceipt next = await grain.AddPoints(new PointsBatch { Producer = "p", Sequence = 4, Points = batches[3] });
        byte[] rewritten = (byte[])(await db.HashGetAsync(legacyKey, "data"))!;

        Assert.Equal((byte)'{', legacyData[0]);
        Assert.Equal("SCB1"u8.ToArray(), binary[..4]);
        Assert.Equal(TestData.Comparable(written.State!), TestData.Comparable(restored.State!));
        Assert.Equal(written.PointsApplied, restored.PointsApplied);
        Assert.Equal(5, restored.StaleBatches);
        Assert.Equal(BatchOutcome.Duplicate, resent.Outcome);
        Assert.Equal(BatchOutcome.Applied, next.Outcome);
        Assert.Equal(written.PointsApplied + 150, (await grain.GetSummary()).PointsApplied);
        Assert.Equal(5, (await grain.GetSummary()).DuplicatesDropped);
        Assert.Equal("SCB1"u8.ToArray(), rewritten[..4]);
    }
}
