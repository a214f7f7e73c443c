using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Model;
using StreamingClusters.Options;

namespace StreamingClusters.Benchmarks;

/// <summary>
/// The whole pipeline in process, under BenchmarkDotNet: 1,048,576 blob points (d = 16, 64 centres)
/// written through <see cref="ClusteringPipeline.Writer"/> 4,096 at a time (blocks of 1,024), batched by 1,024, E-step,
/// M-step and snapshots, to the completion of a drain. One operation is one point, so Op/s is points per
/// second. <see cref="Steady"/> starts from a seeded model, as a service that has run for a while;
/// <see cref="FromEmpty"/> includes the seeding (k-means++ on the first 8,192 points), as a fresh start.
/// Wall clock: the work is spread over the writer, the model thread and the E-step helper.
/// </summary>
/// <remarks>
/// The one-core figure of the 1 → 2 cores comparison needs the whole process on one core
/// (<c>taskset -c 0</c>); <c>compare-cores.sh</c> does that with the <c>pipeline</c> mode.
/// </remarks>
[Config(typeof(PipelineBenchmarkConfig))]
public class PipelineBenchmarks
{
    private const int D = 16, K = 64, Points = 1 << 20, Block = 4096;
    private float[] _data = null!;
    private double[][] _seeded = null!;

    [Params(1, 2)]
    public int Parallelism { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = PipelineRun.Blobs(Points, seed: 12345);
        var model = new ClusterModel(new ModelSettings(K, D) { Seed = 0 });
        model.Seed(_data.AsSpan(0, 8192 * D));
        double[] centroids = model.Centroids.ToArray();
        _seeded = [.. Enumerable.Range(0, K).Select(c => centroids.AsSpan(c * D, D).ToArray())];
    }

    [Benchmark(OperationsPerInvoke = Points)]
    public Task Steady() => RunAsync(_seeded);

    [Benchmark(OperationsPerInvoke = Points)]
    public Task FromEmpty() => RunAsync(null);

    private async Task RunAsync(double[][]? initial)
    {
        StreamingClustersOptions options = PipelineRun.Options(Parallelism, TimeSpan.FromSeconds(1));
        options.InitialCentroids = initial;
        var pipeline = new ClusteringPipeline(options, new PipelineRun.NoDeadLetters(), TimeProvider.System, NullLoggerFactory.Instance);
        using var drain = new CancellationTokenSource();
        Task run = pipeline.RunAsync([], stopWhenSourcesEnd: false, drain.Token);
        for (int written = 0; written < Points; written += Block)
        {
            await pipeline.Writer.WriteAsync(_data.AsMemory(written * D, Block * D), D).ConfigureAwait(false);
        }

        await drain.CancelAsync().ConfigureAwait(false);
        await pipeline.Completion.ConfigureAwait(false);
        await run.ConfigureAwait(false);
        if (pipeline.Latest is not { IsFinal: true, PointsApplied: Points })
        {
            throw new InvalidOperationException($"The run applied {pipeline.Latest?.PointsApplied} of {Points} points.");
        }
    }

    /// <summary>
    /// In process, one invocation per iteration (each is a whole run of ~50–100 ms), 2 warm-up and 10
    /// measured iterations, by the wall clock; median and minimum beside the mean, allocated bytes per point.
    /// </summary>
    private sealed class PipelineBenchmarkConfig : ManualConfig
    {
        public PipelineBenchmarkConfig()
        {
            AddJob(Job.Default
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithStrategy(RunStrategy.Monitoring)
                .WithLaunchCount(1)
                .WithWarmupCount(2)
                .WithIterationCount(10)
                .WithId("Whole run"));
            AddDiagnoser(MemoryDiagnoser.Default);
            AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.OperationsPerSecond);
        }
    }
}
