using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Cluster.Catalog;
using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Ingest;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.Models;
using StreamingClusters.Publishing;

namespace StreamingClusters.Cluster.Tests.Grains;

/// <summary>A model that starts from configured centroids in cluster mode against a single process's.</summary>
[Collection(ClusterCollection.Name)]
public sealed class InitialCentroidsGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Post_InitialCentroidsRoundRobinOverThreeSilos_AppliedFromTheFirstPointBitIdenticalToASingleProcessAcrossAReactivation()
    {
        const string Name = "configured-centroids";
        ClusterModelDefinition plain = TestData.Definition();
        float[][] batches = TestData.Batches(seed: 31, batches: 12, pointsPerBatch: 100, plain.Clusters, plain.Dimensions);

        // The first points of the stream as the configured centroids (not where a seeding would put them).
        ClusterModelDefinition definition = plain with
        {
            InitialCentroids = new ConfiguredCentroids { Values = [.. batches[0].Take(plain.Clusters * plain.Dimensions).Select(v => (double)v)] },
        };
        IReadOnlyList<SiloIngest> ingests = fixture.Ingests;
        await ingests[0].DefineAsync(Name, definition);
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>(Name);
        CentroidsView before = await grain.GetCentroids(-1);

        var outcomes = new List<BatchOutcome>();
        for (int b = 0; b < batches.Length; b++)
        {
            if (b == 6)
            {
                // The definition, configured centroids and all, is read back from the persisted state.
                await fixture.Cluster.DeactivateAsync(grain);
            }

            outcomes.Add((await ingests[b % ingests.Count].PostAsync(Name, batches[b])).Outcome);
        }

        ModelSummary summary = await grain.GetSummary();
        var reference = TestData.Reference(definition, batches);
        Assert.True(before.Seeded);
        Assert.Equal(definition.InitialCentroids.Values, before.Centroids);
        Assert.All(outcomes, o => Assert.Equal(BatchOutcome.Applied, o));
        Assert.Equal(12 * 100, summary.PointsApplied);
        Assert.Equal(0, summary.StaleBatches);
        Assert.Equal(TestData.Comparable(reference.ToState()), TestData.Comparable(summary.State!));
        Assert.NotEqual(TestData.Comparable(TestData.Reference(plain, batches).ToState()), TestData.Comparable(summary.State!));
    }

    [Fact]
    public async Task Define_InitialCentroids_SeededAtVersionZeroBeforeAnyPointInTheSummaryDescriptionAndSnapshotAcrossAReactivation()
    {
        const string Name = "configured-centroids-served";
        ClusterModelDefinition plain = TestData.Definition();
        float[][] batches = TestData.Batches(seed: 33, batches: 3, pointsPerBatch: 100, plain.Clusters, plain.Dimensions);
        ClusterModelDefinition definition = plain with
        {
            InitialCentroids = new ConfiguredCentroids { Values = [.. batches[0].Take(plain.Clusters * plain.Dimensions).Select(v => (double)v)] },
        };
        await fixture.Ingests[0].DefineAsync(Name, definition);
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>(Name);
        var handle = new GrainModelHandle(Name, fixture.Ingests[1], 1e15f, 65_536, TimeProvider.System, NullLogger.Instance);

        // Before any point: the model is served as it starts, as GetCentroids (and so scoring) already has it.
        ModelSummary summary = await grain.GetSummary();
        ModelInfo described = await handle.DescribeAsync();
        CentroidSnapshot? latest = await handle.LatestAsync();
        CentroidsView view = await grain.GetCentroids(-1);

        // The state persisted at the definition is the one the model goes on from after a reactivation.
        await fixture.Cluster.DeactivateAsync(grain);
        ModelSummary reactivated = await grain.GetSummary();
        foreach (float[] batch in batches)
        {
            Assert.Equal(BatchOutcome.Applied, (await fixture.Ingests[2].PostAsync(Name, batch)).Outcome);
        }

        ModelSummary after = await grain.GetSummary();
        Assert.True(view.Seeded);
        Assert.NotNull(summary.State);
        Assert.Equal(view.Version, summary.Version);
        Assert.Equal(0, described.Version);
        Assert.Equal(0, described.PointsApplied);
        Assert.NotNull(latest);
        Assert.Equal(0, latest.Version);
        Assert.Equal(definition.InitialCentroids.Values, latest.Centroids.SelectMany(c => c));
        Assert.Equal(TestData.Comparable(summary.State), TestData.Comparable(reactivated.State!));
        Assert.Equal(TestData.Comparable(TestData.Reference(definition, batches).ToState()), TestData.Comparable(after.State!));
    }

    [Fact]
    public async Task RejectionsBeforeAnyPoint_InitialCentroidsAcrossAReactivation_FirstBatchStillRecordsTheSeeding()
    {
        const string Name = "configured-centroids-rejections-first";
        ClusterModelDefinition plain = TestData.Definition();
        float[][] batches = TestData.Batches(seed: 35, batches: 3, pointsPerBatch: 100, plain.Clusters, plain.Dimensions);
        ClusterModelDefinition definition = plain with
        {
            InitialCentroids = new ConfiguredCentroids { Values = [.. batches[0].Take(plain.Clusters * plain.Dimensions).Select(v => (double)v)] },
        };
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>(Name);
        string? incarnation = (await grain.Define(definition)).Incarnation;

        // Rejections counted before any point is applied write the grain's state; the model in it is still the definition's.
        await grain.ApplyStatistics(StatisticsBatch.CountsOnlyFrom("p", 1, [new SourceTally("s", 0, 3)]) with { Incarnation = incarnation });
        await fixture.Cluster.DeactivateAsync(grain);
        for (int b = 0; b < batches.Length; b++)
        {
            await grain.AddPoints(new PointsBatch { Producer = "p", Sequence = b + 2, Points = batches[b], Incarnation = incarnation });
        }

        ModelSummary summary = await grain.GetSummary();
        Assert.Equal(3, summary.PointsRejected);
        Assert.Equal(TestData.Comparable(TestData.Reference(definition, batches).ToState()), TestData.Comparable(summary.State!));
    }
}
