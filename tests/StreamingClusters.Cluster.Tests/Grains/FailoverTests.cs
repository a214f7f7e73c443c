using Orleans.TestingHost;
using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Ingest;
using StreamingClusters.Cluster.Messages;
using Xunit.Abstractions;

namespace StreamingClusters.Cluster.Tests.Grains;

public sealed class FailoverTests(FailoverFixture fixture, ITestOutputHelper output) : IClassFixture<FailoverFixture>
{
    [Fact]
    public async Task Post_SiloHostingTheModelKilled_EveryAcknowledgedPointAppliedOnce()
    {
        ClusterModelDefinition definition = TestData.Definition();
        float[][] batches = TestData.Batches(seed: 6, batches: 40, pointsPerBatch: 50, definition.Clusters, definition.Dimensions);
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("failover");
        await grain.Define(definition);
        string host = (await grain.GetSummary()).Silo;
        SiloHandle hosting = fixture.Cluster.Silos.Single(s => s.SiloAddress.ToString() == host);
        SiloIngest[] survivors = [.. fixture.Cluster.Silos.Where(s => s != hosting).Select(s => fixture.Ingests[fixture.Cluster.Silos.ToList().IndexOf(s)])];

        // Posts from the two silos that survive, concurrently; the host is killed once ten are answered.
        var tenAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int answered = 0;
        async Task<BatchReceipt> PostAsync(int b)
        {
            BatchReceipt receipt = await survivors[b % 2].PostAsync("failover", batches[b]);
            if (Interlocked.Increment(ref answered) == 10)
            {
                tenAnswered.TrySetResult();
            }

            return receipt;
        }

        var posts = new List<Task<BatchReceipt>>();
        for (int b = 0; b < 20; b++)
        {
            posts.Add(PostAsync(b));
        }

        await tenAnswered.Task;
        long killed = System.Diagnostics.Stopwatch.GetTimestamp();
        await fixture.Cluster.KillSiloAsync(hosting);
        Task<BatchReceipt> firstAfter = PostAsync(20);
        posts.Add(firstAfter);
        await firstAfter;
        TimeSpan failover = System.Diagnostics.Stopwatch.GetElapsedTime(killed);
        for (int b = 21; b < batches.Length; b++)
        {
            posts.Add(PostAsync(b));
        }

        BatchReceipt[] receipts = await Task.WhenAll(posts);
        ModelSummary summary = await grain.GetSummary();

        Assert.NotEqual(host, summary.Silo);
        Assert.All(receipts, r => Assert.NotEqual(BatchOutcome.Refused, r.Outcome));
        Assert.Equal(40 * 50, summary.PointsApplied + summary.PointsBuffered);
        Assert.Equal(40 * 50, summary.PointsApplied);
        output.WriteLine(FormattableString.Invariant(
            $"from the kill to the first post sent after it answered: {failover.TotalSeconds:F2} s (ProbeTimeout 1 s, 2 missed probes); duplicates dropped: {summary.DuplicatesDropped}"));
    }
}
