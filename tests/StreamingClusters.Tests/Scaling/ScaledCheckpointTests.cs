using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Checkpoints;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.Scaling;

/// <summary>A checkpoint keeps the scaling the model is built in, and is refused under another.</summary>
public sealed class ScaledCheckpointTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-scaled-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task RunAsync_RestoredWithScaling_GoesOnInTheSameScaling()
    {
        string path = Path.Combine(_dir.FullName, "model.ckpt");
        CentroidSnapshot first = await RunAsync(Options(path, "standardize"), TestData.Blobs(3_000, 5, clusters: 4, seed: 1));

        CentroidSnapshot second = await RunAsync(Options(path, "standardize"), TestData.Blobs(1_024, 5, clusters: 4, seed: 2));

        Assert.Equal(first.Version + 1, second.Version);
        Assert.Equal(first.Scaling!.Mean, second.Scaling!.Mean);
        Assert.Equal(first.Scaling.Std, second.Scaling.Std);
        Assert.Equal(3_000 + 1_024, second.PointsApplied);
    }

    [Fact]
    public async Task RunAsync_ScaledCheckpointUnderScalingNone_RefusedNamingBoth()
    {
        string path = Path.Combine(_dir.FullName, "model.ckpt");
        await RunAsync(Options(path, "standardize"), TestData.Blobs(3_000, 5, clusters: 4, seed: 1));

        ClusteringPipeline second = CreateSut(Options(path, "none"));
        CheckpointException error = await Assert.ThrowsAsync<CheckpointException>(() => second.RunAsync([], false, CancellationToken.None));

        Assert.Equal(
            $"The checkpoint '{path}' holds a model built in standardized columns (scaling 'standardize'), but the configuration asks for scaling 'none' " +
            "(StreamingClusters:Scaling, --scaling). Nothing was started; move the checkpoint away or start fresh on purpose with StreamingClusters:Checkpoint:StartFresh=true (--fresh).",
            error.Message);
    }

    [Fact]
    public async Task RunAsync_UnscaledCheckpointUnderStandardize_RefusedNamingBoth()
    {
        string path = Path.Combine(_dir.FullName, "model.ckpt");
        await RunAsync(Options(path, "none"), TestData.Blobs(3_000, 5, clusters: 4, seed: 1));

        ClusteringPipeline second = CreateSut(Options(path, "standardize"));
        CheckpointException error = await Assert.ThrowsAsync<CheckpointException>(() => second.RunAsync([], false, CancellationToken.None));

        Assert.Equal(
            $"The checkpoint '{path}' holds a model built in columns as they came (scaling 'none'), but the configuration asks for scaling 'standardize' " +
            "(StreamingClusters:Scaling, --scaling). Nothing was started; move the checkpoint away or start fresh on purpose with StreamingClusters:Checkpoint:StartFresh=true (--fresh).",
            error.Message);
    }

    private static StreamingClustersOptions Options(string path, string scaling) => new()
    {
        Clusters = 4,
        BatchSize = 1_024,
        Scaling = scaling,
        Seeding = { BufferSize = 1_024 },
        Checkpoint = { Path = path, Interval = TimeSpan.Zero },
    };

    private static ClusteringPipeline CreateSut(StreamingClustersOptions options) =>
        new(options, new RecordingDeadLetterSink(), new FakeTimeProvider(), NullLoggerFactory.Instance);

    private static async Task<CentroidSnapshot> RunAsync(StreamingClustersOptions options, float[] points)
    {
        ClusteringPipeline pipeline = CreateSut(options);
        using var stop = new CancellationTokenSource();
        Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token);
        await pipeline.Writer.WriteAsync(points, 5);
        await stop.CancelAsync();
        await running;
        return pipeline.Latest!;
    }
}
