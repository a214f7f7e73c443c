using StreamingClusters.Model;
using StreamingClusters.Randomness;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Model;

public class ClusterRepairTests
{
    private const int BatchSize = 1024;

    /// <summary>Four unit blobs at the corners of a 20 × 20 square.</summary>
    private static readonly double[] Blobs = [0, 0, 20, 0, 20, 20, 0, 20];

    /// <summary>A local optimum: blob (0, 0) cut in two, blobs (20, 0) and (20, 20) sharing one centroid.</summary>
    private static readonly double[] Planted = [-0.8, 0, 0.8, 0, 20, 10, 0, 20];

    [Fact]
    public void Apply_PlantedLocalOptimum_RepairGivesEveryBlobItsOwnCentroid()
    {
        ClusterModel sut = CreateSut(Planted, repair: true);

        List<ClusterEvent> events = Run(sut, batches: 30, seed: 1);

        Assert.All(Enumerable.Range(0, 4), b => Assert.True(NearestDistance(sut, b) < 0.3, $"blob {b} is {NearestDistance(sut, b)} from its nearest centroid"));
        ClusterEvent removed = Assert.Single(events, e => e.Kind == ClusterEventKind.Removed);
        ClusterEvent split = Assert.Single(events, e => e.Kind == ClusterEventKind.SplitOff);
        Assert.Contains(removed.OldId, new long?[] { 0, 1 });
        Assert.Equal(2, split.FromId);
        Assert.Equal(4, split.NewId);
        Assert.Equal((removed.Slot, removed.Version), (split.Slot, split.Version));
        Assert.Equal(4, sut.Ids[split.Slot]);
    }

    [Fact]
    public void Apply_PlantedLocalOptimumWithoutRepair_StaysStuck()
    {
        ClusterModel sut = CreateSut(Planted, repair: false);

        List<ClusterEvent> events = Run(sut, batches: 30, seed: 1);

        Assert.True(NearestDistance(sut, 1) > 5);
        Assert.All(events, e => Assert.Equal(ClusterEventKind.Seeded, e.Kind));
    }

    [Fact]
    public void Apply_NewGroupArrivesWhereAClusterWas_SplitsItOffAndTheOldGroupKeepsItsCentroid()
    {
        // Blob (0, 0) cut in two; blob (20, 0) has one centroid; blob (20, 20) has not been seen yet.
        var sut = new ClusterModel(new ModelSettings(3, 2) { Seed = 9, Repair = true });
        sut.SetCentroids([-0.8, 0, 0.8, 0, 20, 0]);
        var random = new ModelRandom(5);
        var events = new List<ClusterEvent>();
        for (int b = 0; b < 20; b++)
        {
            events.AddRange(Streaming.Step(sut, Batch(random, blobs: [0, 1])).Events);
        }

        Assert.All(events, e => Assert.Equal(ClusterEventKind.Seeded, e.Kind));
        for (int b = 0; b < 10; b++)
        {
            events.AddRange(Streaming.Step(sut, Batch(random, blobs: [2])).Events);
        }

        ClusterEvent split = Assert.Single(events, e => e.Kind == ClusterEventKind.SplitOff);
        Assert.Equal(2, split.FromId);
        Assert.Contains("apart from its past", split.Reason, StringComparison.Ordinal);
        Assert.All(new[] { 1, 2 }, blob => Assert.True(NearestDistance(sut, blob) < 0.3, $"blob {blob} is {NearestDistance(sut, blob)} from its nearest centroid"));
    }

    [Fact]
    public void Apply_NewGroupArrivesAmongAClustersOwnPoints_SplitsOffOnlyItsOwn()
    {
        // Blob (20, 20) arrives mixed with blob (20, 0), whose centroid is its nearest: a split that took
        // all of the cluster's batch points would leave the new centroid between the two, for good
        // (no forgetting).
        var sut = new ClusterModel(new ModelSettings(3, 2) { Seed = 9, Repair = true });
        sut.SetCentroids([-0.8, 0, 0.8, 0, 20, 0]);
        var random = new ModelRandom(5);
        var events = new List<ClusterEvent>();
        for (int b = 0; b < 20; b++)
        {
            events.AddRange(Streaming.Step(sut, Batch(random, blobs: [0, 1])).Events);
        }

        for (int b = 0; b < 10; b++)
        {
            events.AddRange(Streaming.Step(sut, Batch(random, blobs: [0, 1, 2])).Events);
        }

        ClusterEvent split = Assert.Single(events, e => e.Kind == ClusterEventKind.SplitOff);
        Assert.Equal(2, split.FromId);
        Assert.All(new[] { 0, 1, 2 }, blob => Assert.True(NearestDistance(sut, blob) < 0.3, $"blob {blob} is {NearestDistance(sut, blob)} from its nearest centroid"));
    }

    [Fact]
    public void Apply_ModeDiesAndAnotherIsBornAmongALiveModesPoints_TheDeadClusterIsDroppedForIt()
    {
        // Forgetting with a half-life of 4 batches; blob (0, 20) dies and a mode is born at (−20, −20),
        // whose points first go to the centroid of blob (0, 0).
        ClusterModel sut = CreateSut(Blobs, repair: true);
        var random = new ModelRandom(8);
        RunWithPlaces(sut, random, Blobs, batches: 40);

        double[] places = [0, 0, 20, 0, 20, 20, -20, -20];
        List<ClusterEvent> events = RunWithPlaces(sut, random, places, batches: 16);

        ClusterEvent removed = Assert.Single(events, e => e.Kind == ClusterEventKind.Removed);
        Assert.Equal(3, removed.OldId);
        Assert.StartsWith("starving", removed.Reason, StringComparison.Ordinal);
        Assert.Single(events, e => e.Kind == ClusterEventKind.SplitOff);
        Assert.All(Enumerable.Range(0, 3), p => Assert.True(NearestDistance(sut, places[2 * p], places[(2 * p) + 1]) < 0.3));

        // The newborn's first batches went to blob (0, 0)'s centroid with its points: its own centroid
        // still carries some of them, fading with the forgetting.
        Assert.InRange(NearestDistance(sut, -20, -20), 0, 2);
    }

    [Fact]
    public void Apply_ModeDiesAndAnotherIsBornNearIt_ItsCentroidSlidesToTheNewborn()
    {
        // The newborn at (0, 35) is nearest the dead blob (0, 20)'s centroid, which gets all its points
        // and slides to it as the dead mode's past fades (the cluster is fed, so not starving).
        ClusterModel sut = CreateSut(Blobs, repair: true);
        var random = new ModelRandom(8);
        RunWithPlaces(sut, random, Blobs, batches: 40);

        double[] places = [0, 0, 20, 0, 20, 20, 0, 35];
        RunWithPlaces(sut, random, places, batches: 16);

        Assert.All(Enumerable.Range(0, 4), p => Assert.True(
            NearestDistance(sut, places[2 * p], places[(2 * p) + 1]) < (p == 3 ? 1.5 : 0.3),
            $"place ({places[2 * p]}, {places[(2 * p) + 1]}) is {NearestDistance(sut, places[2 * p], places[(2 * p) + 1])} from its nearest centroid"));
    }

    [Fact]
    public void Apply_ModePausesForLessThanAHalfLife_KeepsItsCluster()
    {
        // A machine idle for a while: blob (0, 20) sends nothing for 3 batches of a half-life of 4.
        ClusterModel sut = CreateSut(Blobs, repair: true);
        var random = new ModelRandom(8);
        RunWithPlaces(sut, random, Blobs, batches: 40);

        List<ClusterEvent> events = RunWithPlaces(sut, random, [0, 0, 20, 0, 20, 20, 20, 20], batches: 3);
        events.AddRange(RunWithPlaces(sut, random, Blobs, batches: 10));

        Assert.All(events, e => Assert.Equal(ClusterEventKind.Seeded, e.Kind));
        Assert.Equal([0L, 1, 2, 3], sut.Ids.ToArray());
    }

    /// <summary>Batches of points about the four places given (one may repeat another), a half-life of 4 batches.</summary>
    private static List<ClusterEvent> RunWithPlaces(ClusterModel model, ModelRandom random, double[] places, int batches)
    {
        double discount = Math.Pow(0.5, 1.0 / 4);
        var events = new List<ClusterEvent>();
        for (int b = 0; b < batches; b++)
        {
            float[] batch = new float[BatchSize * 2];
            for (int i = 0; i < BatchSize; i++)
            {
                int place = random.NextInt32(4);
                batch[2 * i] = (float)(places[2 * place] + random.NextGaussian());
                batch[(2 * i) + 1] = (float)(places[(2 * place) + 1] + random.NextGaussian());
            }

            events.AddRange(Streaming.Step(model, batch, discount).Events);
        }

        return events;
    }

    private static double NearestDistance(ClusterModel model, double x, double y) =>
        Enumerable.Range(0, model.Clusters).Min(c => Math.Sqrt(Math.Pow(model.Centroids[2 * c] - x, 2) + Math.Pow(model.Centroids[(2 * c) + 1] - y, 2)));

    [Fact]
    public void Restore_WhileAGroupArrives_ContinuesBitForBit()
    {
        var sut = new ClusterModel(new ModelSettings(3, 2) { Seed = 9, Repair = true });
        sut.SetCentroids([-0.8, 0, 0.8, 0, 20, 0]);
        var random = new ModelRandom(6);
        for (int b = 0; b < 20; b++)
        {
            Streaming.Step(sut, Batch(random, blobs: [0, 1]));
        }

        // The repair follows a group (here the noise of a converged cluster) across batches: a restore
        // carries it, then blob (20, 20) arrives at the centroid of blob (20, 0).
        ClusterModelState state = sut.ToState();
        ClusterModel restored = ClusterModel.Restore(state);
        var events = new List<ClusterEvent>();
        for (int b = 0; b < 10; b++)
        {
            float[] batch = Batch(random, blobs: [2]);
            ModelUpdate expected = Streaming.Step(sut, batch);
            ModelUpdate actual = Streaming.Step(restored, batch);
            Assert.Equal(expected.Events, actual.Events);
            events.AddRange(actual.Events);
        }

        Assert.NotNull(state.RepairGroup);
        Assert.True(Bitwise.Equal(sut.Centroids, restored.Centroids));
        Assert.True(Bitwise.Equal(sut.Weights, restored.Weights));
        Assert.Single(events, e => e.Kind == ClusterEventKind.SplitOff);
        Assert.All(new[] { 1, 2 }, blob => Assert.True(NearestDistance(restored, blob) < 0.3, $"blob {blob} is {NearestDistance(restored, blob)} from its nearest centroid"));
    }

    [Fact]
    public void Apply_ConvergedStationaryStream_MakesNoMoves()
    {
        ClusterModel sut = CreateSut(Blobs, repair: true);

        List<ClusterEvent> events = Run(sut, batches: 60, seed: 2);

        Assert.Equal(4, events.Count);
        Assert.All(events, e => Assert.Equal((ClusterEventKind.Seeded, 1L, "configured centroid"), (e.Kind, e.Version, e.Reason)));
        Assert.Equal([0L, 1, 2, 3], sut.Ids.ToArray());
    }

    [Fact]
    public void Restore_MidRepair_ContinuesBitForBit()
    {
        ClusterModel sut = CreateSut(Planted, repair: true);
        var random = new ModelRandom(3);
        for (int b = 0; b < 2; b++)
        {
            Streaming.Step(sut, Batch(random));
        }

        ClusterModel restored = ClusterModel.Restore(sut.ToState());
        for (int b = 0; b < 20; b++)
        {
            float[] batch = Batch(random);
            ModelUpdate expected = Streaming.Step(sut, batch);
            ModelUpdate actual = Streaming.Step(restored, batch);
            Assert.Equal(expected.Events, actual.Events);
        }

        Assert.True(Bitwise.Equal(sut.Centroids, restored.Centroids));
        Assert.True(Bitwise.Equal(sut.Weights, restored.Weights));
        Assert.Equal(sut.Ids.ToArray(), restored.Ids.ToArray());
        Assert.Equal(sut.RecentEvents, restored.RecentEvents);
        Assert.Contains(restored.ToState().RecentEvents!, e => e.Kind == ClusterEventKind.SplitOff);
    }

    [Fact]
    public void Apply_UniformPointsWithoutClusters_RefusedSpreadSplitsBackOff_AndRestoreKeepsTheBackOff()
    {
        // Points uniform in a cube (d = 16, k = 16): every cluster's error is large next to the merges'
        // costs, and no spread split pays. After refusals in a row the repair waits RepairEvery × 2^min(n, 4) versions.
        const int D = 16;
        var sut = new ClusterModel(new ModelSettings(16, D) { Seed = 5, Repair = true });
        var random = new ModelRandom(6);
        float[] Uniform() => [.. Enumerable.Range(0, BatchSize * D).Select(_ => (float)((2 * random.NextDouble()) - 1))];
        sut.Seed(Uniform());
        var events = new List<ClusterEvent>();
        var misses = new List<int>();
        for (int b = 0; b < 200; b++)
        {
            events.AddRange(Streaming.Step(sut, Uniform()).Events);
            misses.Add(sut.ToState().RepairSpreadMisses!.Value);
        }

        ClusterModelState state = sut.ToState();
        Assert.All(events, e => Assert.Equal(ClusterEventKind.Seeded, e.Kind));
        Assert.True(state.RepairSpreadMisses >= 4, $"{state.RepairSpreadMisses} refusals in a row: {string.Join(' ', misses)}");
        Assert.InRange(state.RepairSpreadResumes!.Value - state.Version, 1, 4L << ClusterRepair.MaxSpreadBackoff);

        // Each refusal waits at least as long as the one before, up to the cap: in 200 versions at most
        // 4 + 8 + 16 + 32 + 64 + 64 + … versions apart, far fewer than the 50 looks of the cadence.
        int measured = misses.Zip(misses.Skip(1), (a, c) => c > a ? 1 : 0).Sum() + (misses[0] > 0 ? 1 : 0);
        Assert.InRange(measured, 4, 8);

        ClusterModel restored = ClusterModel.Restore(state);
        for (int b = 0; b < 100; b++)
        {
            float[] batch = Uniform();
            Streaming.Step(sut, batch);
            Streaming.Step(restored, batch);
        }

        Bitwise.AssertEqual(sut.ToState(), restored.ToState());
        Assert.Equal(sut.ToState().RepairSpreadResumes, restored.ToState().RepairSpreadResumes);
    }

    [Fact]
    public void Restore_StateWithoutTheBackOff_MeasuresSpreadSplitsAtOnce()
    {
        ClusterModel sut = CreateSut(Planted, repair: true);
        ClusterModelState state = sut.ToState() with { RepairSpreadMisses = null, RepairSpreadResumes = null };

        ClusterModel restored = ClusterModel.Restore(state);
        List<ClusterEvent> events = Run(restored, batches: 30, seed: 1);

        Assert.Equal((0, 0L), (restored.ToState().RepairSpreadMisses, restored.ToState().RepairSpreadResumes));
        Assert.Single(events, e => e.Kind == ClusterEventKind.SplitOff);
    }

    [Fact]
    public void ToState_RecentEvents_KeepsTheLatestUpToItsCapacity()
    {
        ClusterModel sut = CreateSut(Planted, repair: true);
        Run(sut, batches: 5, seed: 4);

        ClusterModelState state = sut.ToState();
        ClusterModel restored = ClusterModel.Restore(state);

        Assert.Equal(6, state.RecentEvents!.Count);
        Assert.Equal(state.RecentEvents, restored.RecentEvents);
        Assert.Equal(5, restored.ToState().NextId);
    }

    private static ClusterModel CreateSut(double[] centroids, bool repair)
    {
        var model = new ClusterModel(new ModelSettings(4, 2) { Seed = 9, Repair = repair });
        model.SetCentroids(centroids);
        return model;
    }

    private static List<ClusterEvent> Run(ClusterModel model, int batches, ulong seed)
    {
        var random = new ModelRandom(seed);
        var events = new List<ClusterEvent>();
        for (int b = 0; b < batches; b++)
        {
            events.AddRange(Streaming.Step(model, Batch(random)).Events);
        }

        return events;
    }

    private static float[] Batch(ModelRandom random) => Batch(random, [0, 1, 2, 3]);

    private static float[] Batch(ModelRandom random, int[] blobs)
    {
        var points = new float[BatchSize * 2];
        for (int i = 0; i < BatchSize; i++)
        {
            int blob = blobs[random.NextInt32(blobs.Length)];
            points[2 * i] = (float)(Blobs[2 * blob] + random.NextGaussian());
            points[(2 * i) + 1] = (float)(Blobs[(2 * blob) + 1] + random.NextGaussian());
        }

        return points;
    }

    private static double NearestDistance(ClusterModel model, int blob) =>
        Enumerable.Range(0, model.Clusters).Min(c => Math.Sqrt(
            Math.Pow(model.Centroids[2 * c] - Blobs[2 * blob], 2) + Math.Pow(model.Centroids[(2 * c) + 1] - Blobs[(2 * blob) + 1], 2)));
}
