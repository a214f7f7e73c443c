using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Messages;

namespace StreamingClusters.Cluster.Tests.Grains;

/// <summary>A statistics batch without its sample (as a silo of an earlier version sends it) is refused cleanly.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BatchWithoutSampleTests(ClusterFixture fixture)
{
    [Fact]
    public async Task ApplyStatistics_BatchWithoutItsSample_RefusedAndCountedTheModelUnchanged()
    {
        const string Name = "batch-without-sample";
        ClusterModelDefinition definition = TestData.Definition() with { SeedingBufferSize = 100 };
        float[][] batches = TestData.Batches(seed: 43, batches: 1, pointsPerBatch: 150, definition.Clusters, definition.Dimensions);
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>(Name);
        string? incarnation = (await grain.Define(definition)).Incarnation;
        await grain.AddPoints(new PointsBatch { Producer = "p", Sequence = 1, Points = batches[0], Incarnation = incarnation });
        ModelSummary before = await grain.GetSummary();

        // The field an earlier version's silo did not send is left null by Orleans, whatever `required` says.
        long[] counts = [.. Enumerable.Repeat(5L, definition.Clusters)];
        var batch = new StatisticsBatch
        {
            Producer = "earlier-silo",
            Sequence = 1,
            BasedOnVersion = before.Version,
            Counts = counts,
            Sums = new double[definition.Clusters * definition.Dimensions],
            SquaredErrors = new double[definition.Clusters],
            SampleBytes = null!,
            Incarnation = incarnation,
        };
        BatchReceipt receipt = await grain.ApplyStatistics(batch);
        BatchReceipt resent = await grain.ApplyStatistics(batch);
        ModelSummary after = await grain.GetSummary();

        Assert.Equal(BatchOutcome.Refused, receipt.Outcome);
        Assert.Equal(BatchOutcome.Duplicate, resent.Outcome);
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(before.PointsApplied, after.PointsApplied);
        Assert.Equal(before.PointsRefused + counts.Sum(), after.PointsRefused);
        Assert.Equal(TestData.Comparable(before.State!), TestData.Comparable(after.State!));
    }

    [Fact]
    public void ToStatistics_MixtureBatchWithoutItsSample_RefusedNamingTheCause()
    {
        var batch = new MixtureStatisticsBatch
        {
            Producer = "earlier-silo",
            Sequence = 1,
            BasedOnVersion = 1,
            Counts = [1, 1],
            Mass = [1, 1],
            First = new double[4],
            Second = new double[4],
            About = new double[4],
            SampleBytes = null!,
            LogLikelihood = 0,
        };

        var refused = Assert.Throws<BatchWithoutSampleException>(() => batch.ToStatistics(new double[4], 2, 2));

        Assert.Equal("earlier-silo", refused.Producer);
        Assert.Contains("earlier version", refused.Message, StringComparison.Ordinal);
    }
}
