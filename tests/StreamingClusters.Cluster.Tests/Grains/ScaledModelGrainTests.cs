using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Cluster.Catalog;
using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.Ingest;
using StreamingClusters.Model;
using StreamingClusters.Models;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Scaling;

namespace StreamingClusters.Cluster.Tests.Grains;

/// <summary>A model of standardised columns in cluster mode against a single process's <see cref="ScaledStreamingModel"/>.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ScaledModelGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Post_StandardizedRoundRobinOverThreeSilos_BitIdenticalToASingleProcessScaledModel()
    {
        const string Name = "scaled-round-robin";
        // Half the clusters starve after the seeding, so that reseeds pick among the points that travel
        // beside the statistics: those must be the standardised ones the single process's model sees.
        ClusterModelDefinition definition = TestData.Definition() with { Scaling = ScalingMode.Standardize, ReseedRatio = 0.1 };
        float[][] batches = TestData.UnevenBatches(seed: 21, batches: 24, pointsPerBatch: 100, definition.Clusters, definition.Dimensions, narrowFrom: 3);
        await fixture.Ingests[0].DefineAsync(Name, definition);
        GrainModelHandle[] handles = [.. fixture.Ingests.Select(i => new GrainModelHandle(Name, i, 1e15f, 65_536, TimeProvider.System, NullLogger.Instance))];

        var written = new List<WriteResult?>();
        for (int b = 0; b < batches.Length; b++)
        {
            written.Add(await handles[b % handles.Length].TryWriteAsync("test", batches[b], definition.Dimensions, null, TimeSpan.FromMinutes(1)));
        }

        ModelSummary summary = await fixture.Cluster.GrainFactory.GetGrain<IModelGrain>(Name).GetSummary();
        CentroidSnapshot snapshot = (await handles[1].LatestAsync())!;
        ScaledStreamingModel reference = TestData.ScaledReference(definition, batches);
        float[] probe = [.. batches[5].Take(40 * definition.Dimensions), .. batches[23].Take(40 * definition.Dimensions)];
        int[] labels = new int[80];
        float[] scores = new float[80];
        long scoredVersion = reference.Score(probe, labels, scores);

        Assert.Contains(reference.RecentEvents, e => e.Kind == ClusterEventKind.Reseeded);
        Assert.All(written, w => Assert.Equal(new WriteResult(100, 0), w));
        Assert.Equal(24 * 100, summary.PointsApplied);
        Assert.Equal(0, summary.StaleBatches);
        Assert.Equal(TestData.Comparable(reference.ToState()), TestData.Comparable(summary.State!));

        // The snapshot answers in the input's units, as the single process's does.
        Assert.Equal(reference.Centroids.ToArray(), snapshot.Centroids.SelectMany(c => c));
        Assert.Equal(reference.Scaling!.ToState().Mean, snapshot.Scaling!.Mean);
        Assert.Equal(reference.Scaling!.ToState().Std, snapshot.Scaling!.Std);
        Assert.NotEqual(TestData.Reference(definition with { Scaling = ScalingMode.None }, batches).Centroids.ToArray(), reference.Centroids.ToArray());

        // Every silo scores in the standardised space, with the single process's labels and squared distances.
        foreach (GrainModelHandle handle in handles)
        {
            ModelScores scored = (await handle.ScoreAsync(probe, definition.Dimensions))!;
            Assert.Equal(scoredVersion, scored.Version);
            Assert.Equal(labels, scored.Clusters);
            Assert.Equal(scores, scored.Scores);
        }
    }

    [Fact]
    public async Task Grain_StandardizedModelDeactivated_RestoresItsScalingAndGoesOn()
    {
        const string Name = "scaled-moves";
        ClusterModelDefinition definition = TestData.Definition() with { Scaling = ScalingMode.Standardize };
        float[][] batches = TestData.UnevenBatches(seed: 22, batches: 8, pointsPerBatch: 100, definition.Clusters, definition.Dimensions);
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>(Name);
        await grain.Define(definition);
        for (int b = 0; b < 6; b++)
        {
            await fixture.Ingests[b % 3].PostAsync(Name, batches[b]);
        }

        ModelSummary before = await grain.GetSummary();
        await fixture.Cluster.DeactivateAsync(grain);

        // The new activation reads the scaling from the persisted state, and hands it to a first asker.
        CentroidsView first = await grain.GetCentroids(-1);
        ModelSummary restored = await grain.GetSummary();
        for (int b = 6; b < batches.Length; b++)
        {
            await fixture.Ingests[b % 3].PostAsync(Name, batches[b]);
        }

        ModelSummary after = await grain.GetSummary();
        ColumnScalingState scaling = ModelStateCodec.Read(before.State!).Scaling!;
        Assert.Equal(TestData.Comparable(before.State!), TestData.Comparable(restored.State!));
        Assert.Equal(scaling.Mean, first.ScalingMean);
        Assert.Equal(scaling.Std, first.ScalingStd);
        Assert.Equal(800, after.PointsApplied);
        Assert.Equal(TestData.Comparable(TestData.ScaledReference(definition, batches).ToState()), TestData.Comparable(after.State!));
    }
}
