using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Checkpoints;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.Checkpoints;

public sealed class CheckpointRestoreTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-restore-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task RunAsync_CheckpointOfAnotherShape_RefusedNamingTheFileAndBothShapes()
    {
        string path = Path.Combine(_dir.FullName, "model.ckpt");
        await RunAsync(Options(path, clusters: 4), TestData.Blobs(3_000, 5, clusters: 4, seed: 1));

        ClusteringPipeline second = CreateSut(Options(path, clusters: 6));
        CheckpointException error = await Assert.ThrowsAsync<CheckpointException>(() => second.RunAsync([], false, CancellationToken.None));

        Assert.StartsWith(
            $"The checkpoint '{path}' holds a model of k = 4, d = 5, but the configuration asks for k = 6, d = from the data (StreamingClusters:Clusters, StreamingClusters:Dimensions).",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_CheckpointOfTheSameShape_ContinuesFromItsVersionAndTotals()
    {
        string path = Path.Combine(_dir.FullName, "model.ckpt");
        CentroidSnapshot first = await RunAsync(Options(path, clusters: 4), TestData.Blobs(3_000, 5, clusters: 4, seed: 1));

        CentroidSnapshot second = await RunAsync(Options(path, clusters: 4), TestData.Blobs(1_024, 5, clusters: 4, seed: 2));

        Assert.Equal(first.Version + 1, second.Version);
        Assert.Equal(3_000 + 1_024, second.PointsApplied);
    }

    private static StreamingClustersOptions Options(string path, int clusters) => new()
    {
        Clusters = clusters,
        BatchSize = 1_024,
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
