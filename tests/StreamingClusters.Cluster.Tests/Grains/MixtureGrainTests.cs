using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Cluster.Catalog;
using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.EStep;
using StreamingClusters.Ingest;
using StreamingClusters.Mixture;
using StreamingClusters.Model;
using StreamingClusters.Models;
using StreamingClusters.Options;
using StreamingClusters.Publishing;

namespace StreamingClusters.Cluster.Tests.Grains;

/// <summary>A Gaussian mixture in cluster mode against a single process's <see cref="MixtureStreamingModel"/>.</summary>
[Collection(ClusterCollection.Name)]
public sealed class MixtureGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Post_MixtureRoundRobinOverThreeSilos_BitIdenticalToASingleProcessMixture()
    {
        const string Name = "mixture-round-robin";

        // Half the components starve after the seeding, so that reseeds pick among the points that travel.
        ClusterModelDefinition definition = TestData.Definition() with { Model = ModelKind.GaussianMixture, ReseedRatio = 0.1 };
        float[][] batches = TestData.Batches(seed: 41, batches: 24, pointsPerBatch: 100, definition.Clusters, definition.Dimensions, narrowFrom: 3);
        await fixture.Ingests[0].DefineAsync(Name, definition);
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>(Name);
        GrainModelHandle[] handles = [.. fixture.Ingests.Select(i => new GrainModelHandle(Name, i, 1e15f, 65_536, TimeProvider.System, NullLogger.Instance))];

        var written = new List<WriteResult?>();
        for (int b = 0; b < batches.Length; b++)
        {
            if (b == 12)
            {
                // The mixture's variances, priors and likelihood are read back from the persisted state.
                await fixture.Cluster.DeactivateAsync(grain);
            }

            written.Add(await handles[b % handles.Length].TryWriteAsync("test", batches[b], definition.Dimensions, null, TimeSpan.FromMinutes(1)));
        }

        ModelSummary summary = await grain.GetSummary();
        CentroidSnapshot snapshot = (await handles[2].LatestAsync())!;
        ModelInfo info = await handles[0].DescribeAsync();
        MixtureStreamingModel reference = TestData.MixtureReference(definition, batches);
        float[] probe = [.. batches[5].Take(40 * definition.Dimensions), .. batches[23].Take(40 * definition.Dimensions)];
        int[] labels = new int[80];
        float[] scores = new float[80];
        float[] responsibilities = new float[80];
        long scoredVersion = reference.Score(probe, labels, scores, responsibilities);

        Assert.Contains(reference.RecentEvents, e => e.Kind == ClusterEventKind.Reseeded);
        Assert.All(written, w => Assert.Equal(new WriteResult(100, 0), w));
        Assert.Equal(24 * 100, summary.PointsApplied);
        Assert.Equal(0, summary.StaleBatches);
        Assert.Equal(TestData.Comparable(reference.ToState()), TestData.Comparable(summary.State!));

        // The snapshot and the description are a mixture's, as the single process's are.
        Assert.Equal("GaussianMixture", info.Model);
        Assert.Equal("GaussianMixture", snapshot.Model);
        Assert.Equal(reference.Centroids.ToArray(), snapshot.Centroids.SelectMany(c => c));
        Assert.Equal(reference.Variances.ToArray(), snapshot.Variances!.SelectMany(v => v));
        Assert.Equal(reference.Priors.ToArray(), snapshot.Priors);
        Assert.Equal(reference.MeanLogLikelihood, snapshot.MeanLogLikelihood);

        // The grain's accounting is a k-means grain's: per source, and the last batch applied.
        Assert.Equal([new SourceTotals("test", 2400, 2400, 0, 0)], snapshot.Sources);
        Assert.Equal(100, snapshot.BatchPoints);
        Assert.Equal(0, snapshot.PointsRejected);

        // Every silo scores as the single process does: the likeliest component, its log-likelihood, its responsibility.
        foreach (GrainModelHandle handle in handles)
        {
            ModelScores scored = (await handle.ScoreAsync(probe, definition.Dimensions))!;
            Assert.Equal((scoredVersion, ScoreKind.LogLikelihood), (scored.Version, scored.Kind));
            Assert.Equal(labels, scored.Clusters);
            Assert.Equal(scores, scored.Scores);
            Assert.Equal(responsibilities, scored.Responsibilities);
        }
    }

    [Fact]
    public async Task ApplyMixtureStatistics_AssignedAgainstAnOlderVersion_CountedStaleAndMovedToTheCurrentMeans()
    {
        ClusterModelDefinition definition = TestData.Definition() with { Model = ModelKind.GaussianMixture };
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("mixture-stale");
        string? incarnation = (await grain.Define(definition)).Incarnation;
        float[][] batches = TestData.Batches(seed: 42, batches: 3, pointsPerBatch: 300, definition.Clusters, definition.Dimensions);
        await grain.AddPoints(new PointsBatch { Producer = "p", Sequence = 1, Points = batches[0], Incarnation = incarnation });
        CentroidsView view = await grain.GetCentroids(-1);
        var components = new MixtureComponents(view.Centroids, view.Variances!, view.Priors!, view.Version);
        MixtureStatisticsBatch Batch(long sequence, float[] points)
        {
            var runner = new SerialEStep<SoftEStepWork, MixtureStatistics>(definition.Clusters, definition.Dimensions, definition.ShardSize, 300);
            return MixtureStatisticsBatch.From("p", sequence, view.Version, runner.Run(new SoftEStepWork(components), points, 300), view.Centroids, points) with { Incarnation = incarnation };
        }

        // Both batches are assigned against the same version; the second is applied after the first moved it.
        BatchReceipt first = await grain.ApplyMixtureStatistics(Batch(2, batches[1]));
        ModelSummary between = await grain.GetSummary();
        BatchReceipt second = await grain.ApplyMixtureStatistics(Batch(3, batches[2]));
        ModelSummary after = await grain.GetSummary();

        // What the grain must have done: the second batch's moments moved from the old means to the new ones.
        StreamingModelState state = ModelStateCodec.Read(between.State!);
        ModelOwner expected = ModelOwner.Restore(definition, state, [], TimeProvider.System);
        MixtureStatisticsBatch stale = Batch(3, batches[2]);
        expected.Apply(stale.ToStatistics(expected.Centroids, definition.Clusters, definition.Dimensions), stale.Sample);
        Assert.NotEqual(view.Centroids, state.Model.Centroids);
        Assert.Equal((BatchOutcome.Applied, BatchOutcome.Applied), (first.Outcome, second.Outcome));
        Assert.Equal(1, after.StaleBatches);
        Assert.Equal(900, after.PointsApplied);
        Assert.Equal(TestData.Comparable(expected.ToState()!), TestData.Comparable(after.State!));
        Assert.NotEqual(
            TestData.Comparable(expected.ToState()!),
            TestData.Comparable(Unmoved(definition, state, stale)));
    }

    [Fact]
    public async Task ApplyMixtureStatistics_OfAnotherIncarnation_RefusedAndNothingCounted()
    {
        ClusterModelDefinition definition = TestData.Definition() with { Model = ModelKind.GaussianMixture };
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("mixture-incarnation");
        ClusterModelDefinition defined = await grain.Define(definition);
        float[][] batches = TestData.Batches(seed: 43, batches: 2, pointsPerBatch: 300, definition.Clusters, definition.Dimensions);
        await grain.AddPoints(new PointsBatch { Producer = "p", Sequence = 1, Points = batches[0], Incarnation = defined.Incarnation });
        CentroidsView view = await grain.GetCentroids(-1);
        var runner = new SerialEStep<SoftEStepWork, MixtureStatistics>(definition.Clusters, definition.Dimensions, definition.ShardSize, 300);
        MixtureStatistics statistics = runner.Run(new SoftEStepWork(new MixtureComponents(view.Centroids, view.Variances!, view.Priors!, view.Version)), batches[1], 300);
        SourceTally[] sources = [new SourceTally("http", 300, 2)];
        MixtureStatisticsBatch batch = MixtureStatisticsBatch.From("p", 2, view.Version, statistics, view.Centroids, batches[1], sources);

        await Assert.ThrowsAsync<KeyNotFoundException>(() => grain.ApplyMixtureStatistics(batch with { Incarnation = "another" }));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => grain.ApplyStatistics(StatisticsBatch.CountsOnlyFrom("p", 2, sources) with { Incarnation = "another" }));
        ModelSummary refused = await grain.GetSummary();
        BatchReceipt applied = await grain.ApplyMixtureStatistics(batch with { Incarnation = defined.Incarnation });
        ModelSummary after = await grain.GetSummary();

        Assert.Equal((300L, 0L, view.Version), (refused.PointsApplied, refused.PointsRejected, refused.Version));
        Assert.Equal(BatchOutcome.Applied, applied.Outcome);
        Assert.Equal((600L, 2L), (after.PointsApplied, after.PointsRejected));
        Assert.Equal(new SourceCounts(302, 300, 2), after.Sources["http"]);
    }

    /// <summary>The second batch applied as if its moments were about the current means (what moving them prevents).</summary>
    private static StreamingModelState Unmoved(ClusterModelDefinition definition, StreamingModelState state, MixtureStatisticsBatch batch)
    {
        ModelOwner owner = ModelOwner.Restore(definition, state, [], TimeProvider.System);
        owner.Apply(batch.ToStatistics(batch.About, definition.Clusters, definition.Dimensions), batch.Sample);
        return owner.ToState()!;
    }
}
