using System.Diagnostics;
using System.Globalization;
using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Ingest;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.EStep;
using StreamingClusters.Mixture;
using StreamingClusters.Model;
using StreamingClusters.Options;
using StreamingClusters.Scaling;
using StreamingClusters.Statistics;
using Xunit.Abstractions;

namespace StreamingClusters.Cluster.Tests.Measurements;

/// <summary>
/// The cost of the distributed path at d = 16, k = 64. Each test asserts exact counts; the figures it
/// writes (process CPU time, and wall time beside it) are for the results note. Small by default;
/// STREAMINGCLUSTERS_CLUSTER_SCALE multiplies the work for a measurement run.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterCostTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private const int Clusters = 64;
    private const int Dimensions = 16;
    private const int BlockPoints = 1024;

    private static int Scale => int.TryParse(Environment.GetEnvironmentVariable("STREAMINGCLUSTERS_CLUSTER_SCALE"), CultureInfo.InvariantCulture, out int s) && s > 0 ? s : 1;

    private static ClusterModelDefinition Definition => new()
    {
        Clusters = Clusters,
        Dimensions = Dimensions,
        Seed = 3,
        SeedingBufferSize = 4096,
        RefineIterations = 2,
        Repair = true,
    };

    [Fact]
    public async Task ApplyStatistics_ManyMergesAtD16K64_EveryMergeAppliedOnce()
    {
        int merges = 40 * Scale;
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("cost-merges");
        string? incarnation = (await grain.Define(Definition)).Incarnation;
        float[][] blocks = TestData.Batches(seed: 7, batches: 5, pointsPerBatch: BlockPoints, Clusters, Dimensions);
        await grain.AddPoints(new PointsBatch { Producer = "seed", Sequence = 1, Points = [.. blocks.Take(4).SelectMany(b => b)], Incarnation = incarnation });
        CentroidsView view = await grain.GetCentroids(-1);
        var runner = new SerialEStep<HardEStepWork, ClusterStatistics>(Clusters, Dimensions, 256, BlockPoints);
        ClusterStatistics statistics = runner.Run(new HardEStepWork(new CentroidSet(view.Centroids, Clusters, view.Version)), blocks[4], BlockPoints);

        (TimeSpan cpu, TimeSpan wall) = await MeasureAsync(async () =>
        {
            for (int m = 1; m <= merges; m++)
            {
                await grain.ApplyStatistics(StatisticsBatch.From("merges", m, view.Version, statistics, blocks[4]) with { Incarnation = incarnation });
            }
        });

        ModelSummary summary = await grain.GetSummary();
        Assert.Equal((4 * BlockPoints) + (merges * (long)BlockPoints), summary.PointsApplied);
        Assert.Equal(1 + merges, summary.Version);
        output.WriteLine(FormattableString.Invariant(
            $"merges at d={Dimensions}, k={Clusters} (a 1,024-point sample beside each, state written to Redis each time): {merges} in {wall.TotalSeconds:F2} s wall = {merges / wall.TotalSeconds:F0}/s; process CPU {cpu.TotalMilliseconds / merges:F2} ms per merge (3 silos and the caller in this process; redis-server not counted)"));
    }

    [Fact]
    public async Task Post_DistributedAndSingleProcess_SamePointsApplied()
    {
        int blocks = 24 * Scale;
        float[][] data = TestData.Batches(seed: 8, batches: blocks + 4, pointsPerBatch: BlockPoints, Clusters, Dimensions);
        IReadOnlyList<SiloIngest> ingests = fixture.Ingests;
        await ingests[0].DefineAsync("cost-posts", Definition);
        foreach (float[] seed in data.Take(4))
        {
            await ingests[0].PostAsync("cost-posts", seed);
        }

        // Three posts in flight, one per silo, as three clients would send them.
        (TimeSpan distributedCpu, TimeSpan distributedWall) = await MeasureAsync(async () =>
        {
            for (int b = 4; b < data.Length; b += 3)
            {
                await Task.WhenAll(Enumerable.Range(b, Math.Min(3, data.Length - b)).Select(i => ingests[i % 3].PostAsync("cost-posts", data[i])));
            }
        });

        var single = KMeansStreamingModel.Create(
            Definition.ToSettings(), Definition.ToOptions(), new SerialEStep<HardEStepWork, ClusterStatistics>(Clusters, Dimensions, 256, 8 * BlockPoints), TimeProvider.System);
        foreach (float[] seed in data.Take(4))
        {
            single.Step(seed, BlockPoints);
        }

        (TimeSpan singleCpu, TimeSpan singleWall) = await MeasureAsync(() =>
        {
            foreach (float[] block in data.Skip(4))
            {
                single.Step(block, BlockPoints);
            }

            return Task.CompletedTask;
        });

        ModelSummary summary = await fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("cost-posts").GetSummary();
        long points = blocks * (long)BlockPoints;
        Assert.Equal(single.ToState().Model.PointsApplied, summary.PointsApplied);
        output.WriteLine(FormattableString.Invariant(
            $"distributed: {points} points in {distributedWall.TotalSeconds:F2} s wall, process CPU {distributedCpu.TotalMilliseconds * 1e6 / points:F0} ns per point ({summary.Version - 1} merges)"));
        output.WriteLine(FormattableString.Invariant(
            $"single process (Core model, serial E-step): {points} points in {singleWall.TotalSeconds:F2} s wall, process CPU {singleCpu.TotalMilliseconds * 1e6 / points:F0} ns per point"));
    }

    /// <summary>
    /// Where a merge's CPU goes: the model's encoding and the grain state's storage serializer (before: JSON
    /// in the Redis storage's default JSON serializer; now: the binary codec in Orleans' binary serializer),
    /// the M-step alone, a grain call, and a state write to Redis without an M-step (a counts-only batch).
    /// </summary>
    [Fact]
    public async Task Merge_CostByPart_EachPartMeasured()
    {
        int repeats = 40 * Scale;
        IModelGrain grain = fixture.Cluster.GrainFactory.GetGrain<IModelGrain>("cost-parts");
        string? incarnation = (await grain.Define(Definition)).Incarnation;
        float[][] blocks = TestData.Batches(seed: 9, batches: 5, pointsPerBatch: BlockPoints, Clusters, Dimensions);
        await grain.AddPoints(new PointsBatch { Producer = "seed", Sequence = 1, Points = [.. blocks.Take(4).SelectMany(b => b)], Incarnation = incarnation });
        CentroidsView view = await grain.GetCentroids(-1);
        var runner = new SerialEStep<HardEStepWork, ClusterStatistics>(Clusters, Dimensions, 256, BlockPoints);
        ClusterStatistics statistics = runner.Run(new HardEStepWork(new CentroidSet(view.Centroids, Clusters, view.Version)), blocks[4], BlockPoints);
        for (int m = 1; m <= 20; m++)
        {
            await grain.ApplyStatistics(StatisticsBatch.From("merges", m, view.Version, statistics, blocks[4]) with { Incarnation = incarnation });
        }

        ModelSummary summary = await grain.GetSummary();
        StreamingModelState state = ModelStateCodec.Read(summary.State!);
        IServiceProvider services = ((Orleans.TestingHost.InProcessSiloHandle)fixture.Cluster.Primary!).ServiceProvider;
        var json = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Orleans.Storage.IGrainStorageSerializer>(services);
        var binary = new ModelStorageSerializer(Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Orleans.Serialization.Serializer>(services), json);
        ModelGrainState Grain(byte[] model) => new()
        {
            Definition = Definition,
            Model = model,
            Sequences = { ["seed"] = 1, ["merges"] = 20 },
            LastSeen = { ["seed"] = DateTimeOffset.UnixEpoch, ["merges"] = DateTimeOffset.UnixEpoch },
        };

        byte[] oldModel = ModelStateJson.Write(state);
        var codec = new ModelStateCodec();
        byte[] newModel = codec.Write(state);
        int oldSize = json.Serialize(Grain(oldModel)).ToArray().Length;
        int newSize = binary.Serialize(Grain(newModel)).ToArray().Length;
        var parts = new List<string>();
        async Task Part(string name, Func<Task> work)
        {
            (TimeSpan cpu, TimeSpan wall) = await MeasureAsync(async () =>
            {
                for (int i = 0; i < repeats; i++)
                {
                    await work();
                }
            });
            parts.Add(FormattableString.Invariant($"{name}: {cpu.TotalMilliseconds * 1000 / repeats:F0} µs CPU ({wall.TotalMilliseconds * 1000 / repeats:F0} µs wall)"));
        }

        await Part("model as JSON (ModelStateJson.Write)", () => Task.FromResult(ModelStateJson.Write(state)));
        await Part("grain state, JSON storage serializer (the Redis storage's default)", () => Task.FromResult(json.Serialize(Grain(ModelStateJson.Write(state)))));
        await Part("model, binary codec (events cached)", () => Task.FromResult(codec.Write(state)));
        await Part("model, binary codec (events encoded)", () => Task.FromResult(new ModelStateCodec().Write(state)));
        await Part("grain state, binary storage serializer (codec included)", () => Task.FromResult(binary.Serialize(Grain(codec.Write(state)))));
        ModelOwner owner = ModelOwner.Restore(Definition, state, [], TimeProvider.System);
        await Part("M-step alone (ModelOwner.Apply, repair on)", () =>
        {
            owner.Apply(statistics, blocks[4]);
            return Task.CompletedTask;
        });
        await Part("grain call without a write (GetCentroids, version known)", () => grain.GetCentroids(summary.Version));
        long sequence = 0;
        await Part("grain call with a state write to Redis, no M-step (counts-only batch)", () => grain.ApplyStatistics(StatisticsBatch.CountsOnlyFrom("counts", ++sequence, [new SourceTally("http", 0, 1)]) with { Incarnation = incarnation }));
        await Part(
            "the same carrying a merge's 1,024-point sample (64 KB), unused",
            () => grain.ApplyStatistics(StatisticsBatch.CountsOnlyFrom("counts", ++sequence, [new SourceTally("http", 0, 1)]) with { Incarnation = incarnation, SampleBytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(blocks[4].AsSpan()).ToArray() }));

        Assert.Equal(2 * repeats, (await grain.GetSummary()).PointsRejected);
        Assert.True(newSize < oldSize);
        output.WriteLine(FormattableString.Invariant($"persisted grain state at d={Dimensions}, k={Clusters}: JSON {oldSize:N0} bytes, binary {newSize:N0} bytes ({repeats} repeats of each part)"));
        parts.ForEach(output.WriteLine);
    }

    [Theory]
    [InlineData(ModelKind.KMeans, ScalingMode.Standardize)]
    [InlineData(ModelKind.GaussianMixture, ScalingMode.None)]
    public async Task Post_StandardizedOrMixtureDistributedAndSingleProcess_SamePointsApplied(ModelKind kind, ScalingMode scaling)
    {
        int blocks = 24 * Scale;
        string name = $"cost-posts-{kind}-{scaling}".ToLowerInvariant();
        ClusterModelDefinition definition = Definition with { Model = kind, Scaling = scaling, MixtureSeedingStarts = 1, MixtureSeedingIterations = 5 };
        float[][] data = TestData.Batches(seed: 9, batches: blocks + 4, pointsPerBatch: BlockPoints, Clusters, Dimensions);
        IReadOnlyList<SiloIngest> ingests = fixture.Ingests;
        await ingests[0].DefineAsync(name, definition);
        foreach (float[] seed in data.Take(4))
        {
            await ingests[0].PostAsync(name, seed);
        }

        (TimeSpan distributedCpu, TimeSpan distributedWall) = await MeasureAsync(async () =>
        {
            for (int b = 4; b < data.Length; b += 3)
            {
                await Task.WhenAll(Enumerable.Range(b, Math.Min(3, data.Length - b)).Select(i => ingests[i % 3].PostAsync(name, data[i])));
            }
        });

        IStreamingModel single = kind == ModelKind.GaussianMixture
            ? MixtureStreamingModel.Create(
                definition.ToSettings(), definition.ToMixtureOptions(), definition.ToOptions(), new SerialEStep<SoftEStepWork, MixtureStatistics>(Clusters, Dimensions, 256, 8 * BlockPoints), TimeProvider.System)
            : new ScaledStreamingModel(
                KMeansStreamingModel.Create(definition.ToSettings(), definition.ToOptions(), new SerialEStep<HardEStepWork, ClusterStatistics>(Clusters, Dimensions, 256, 8 * BlockPoints), TimeProvider.System),
                definition.SeedingBufferSize);
        foreach (float[] seed in data.Take(4))
        {
            single.Step(seed, BlockPoints);
        }

        (TimeSpan singleCpu, TimeSpan singleWall) = await MeasureAsync(() =>
        {
            foreach (float[] block in data.Skip(4))
            {
                single.Step(block, BlockPoints);
            }

            return Task.CompletedTask;
        });

        ModelSummary summary = await fixture.Cluster.GrainFactory.GetGrain<IModelGrain>(name).GetSummary();
        long points = blocks * (long)BlockPoints;
        Assert.Equal(single.ToState().Model.PointsApplied, summary.PointsApplied);
        output.WriteLine(FormattableString.Invariant(
            $"{kind}, scaling {scaling}, distributed: {points} points in {distributedWall.TotalSeconds:F2} s wall, process CPU {distributedCpu.TotalMilliseconds * 1e6 / points:F0} ns per point ({summary.Version - 1} merges)"));
        output.WriteLine(FormattableString.Invariant(
            $"{kind}, scaling {scaling}, single process (Core model, serial E-step): {points} points in {singleWall.TotalSeconds:F2} s wall, process CPU {singleCpu.TotalMilliseconds * 1e6 / points:F0} ns per point"));
    }

    private static async Task<(TimeSpan Cpu, TimeSpan Wall)> MeasureAsync(Func<Task> work)
    {
        using var process = Process.GetCurrentProcess();
        TimeSpan cpu = process.TotalProcessorTime;
        long started = Stopwatch.GetTimestamp();
        await work();
        TimeSpan wall = Stopwatch.GetElapsedTime(started);
        process.Refresh();
        return (process.TotalProcessorTime - cpu, wall);
    }
}
