using System.Reactive.Concurrency;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Checkpoints;
using StreamingClusters.Model;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.Mixture;

/// <summary>The Gaussian mixture through the pipeline: determinism, snapshots, checkpoints, scoring and assignments.</summary>
public sealed class MixturePipelineTests : IDisposable
{
    private const int Dimensions = 5;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-mixture-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task RunAsync_SameInputAndSeed_BitIdenticalSnapshotsWhateverTheParallelism()
    {
        float[] points = TestData.Blobs(8_000, Dimensions, clusters: 4, seed: 12);

        List<CentroidSnapshot>[] runs = await Task.WhenAll(new[] { 1, 2 }.Select(p => RecordAllSnapshotsAsync(Options(parallelism: p), points)));

        Assert.True(runs[0].Count > 5);
        Assert.Equal(runs[0].Count, runs[1].Count);
        for (int i = 0; i < runs[0].Count; i++)
        {
            (CentroidSnapshot one, CentroidSnapshot two) = (runs[0][i], runs[1][i]);
            Assert.Equal(one.Version, two.Version);
            Assert.Equal(one.Counts, two.Counts);
            Assert.Equal(Bits(one.Weights), Bits(two.Weights));
            Assert.Equal(Bits(one.Priors!), Bits(two.Priors!));
            Assert.Equal(BitConverter.DoubleToInt64Bits(one.MeanLogLikelihood!.Value), BitConverter.DoubleToInt64Bits(two.MeanLogLikelihood!.Value));
            for (int c = 0; c < one.Clusters; c++)
            {
                Assert.Equal(Bits(one.Centroids[c]), Bits(two.Centroids[c]));
                Assert.Equal(Bits(one.Variances![c]), Bits(two.Variances![c]));
            }
        }
    }

    [Fact]
    public async Task Snapshot_Mixture_CarriesVariancesPriorsAndTheMeanLogLikelihoodInJson()
    {
        List<CentroidSnapshot> snapshots = await RecordAllSnapshotsAsync(Options(), TestData.Blobs(3_000, Dimensions, clusters: 4, seed: 3));
        CentroidSnapshot final = snapshots[^1];

        CentroidSnapshot read = SnapshotJson.Deserialize(SnapshotJson.Serialize(final));
        string json = Encoding.UTF8.GetString(SnapshotJson.Serialize(final));

        Assert.Equal("GaussianMixture", read.Model);
        Assert.Equal(4, read.Variances!.Count);
        Assert.All(read.Variances, v => Assert.Equal(Dimensions, v.Length));
        Assert.Equal(1, read.Priors!.Sum(), 1e-12);
        Assert.Equal(final.MeanLogLikelihood, read.MeanLogLikelihood);
        Assert.Contains("\"variances\":[[", json, StringComparison.Ordinal);
        Assert.Contains("\"priors\":[", json, StringComparison.Ordinal);
        Assert.Contains("\"meanLogLikelihood\":", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Snapshot_KMeans_HasNoMixtureFields()
    {
        StreamingClustersOptions options = Options();
        options.Model = "KMeans";
        List<CentroidSnapshot> snapshots = await RecordAllSnapshotsAsync(options, TestData.Blobs(3_000, Dimensions, clusters: 4, seed: 3));

        string json = Encoding.UTF8.GetString(SnapshotJson.Serialize(snapshots[^1]));

        Assert.Equal("KMeans", snapshots[^1].Model);
        Assert.DoesNotContain("variances", json, StringComparison.Ordinal);
        Assert.DoesNotContain("priors", json, StringComparison.Ordinal);
        Assert.DoesNotContain("meanLogLikelihood", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_FromAMixtureCheckpoint_ContinuesWithItsVariancesAndPriors()
    {
        string path = Path.Combine(_dir.FullName, "model.ckpt");
        CentroidSnapshot first = await RunAsync(WithCheckpoint(Options(), path), TestData.Blobs(3_000, Dimensions, clusters: 4, seed: 1));
        Checkpoint written = new CheckpointStore(path, NullLogger.Instance).Load()!;

        CentroidSnapshot second = await RunAsync(WithCheckpoint(Options(), path), TestData.Blobs(512, Dimensions, clusters: 4, seed: 2));

        Assert.NotNull(written.Mixture);
        Assert.Equal(Bits(first.Priors!), Bits(written.Mixture.Priors));
        Assert.Equal(Bits(first.Variances!.SelectMany(v => v)), Bits(written.Mixture.Variances));
        Assert.Equal(first.Version + 1, second.Version);
        Assert.Equal(3_000 + 512, second.PointsApplied);
        Assert.Equal(first.Ids, second.Ids);
    }

    [Fact]
    public async Task RunAsync_KMeansCheckpointUnderAMixture_RefusedNamingTheSetting()
    {
        string path = Path.Combine(_dir.FullName, "model.ckpt");
        StreamingClustersOptions kmeans = WithCheckpoint(Options(), path);
        kmeans.Model = "KMeans";
        await RunAsync(kmeans, TestData.Blobs(3_000, Dimensions, clusters: 4, seed: 1));

        ClusteringPipeline second = CreateSut(WithCheckpoint(Options(), path));
        CheckpointException error = await Assert.ThrowsAsync<CheckpointException>(() => second.RunAsync([], false, CancellationToken.None));

        Assert.StartsWith(
            $"The checkpoint '{path}' holds a k-means model (model 'KMeans'), but the configuration asks for model 'GaussianMixture' (StreamingClusters:Model, --model).",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Score_Mixture_GivesTheMostLikelyComponentItsResponsibilityAndTheLogLikelihood()
    {
        float[] points = TestData.Blobs(3_000, Dimensions, clusters: 4, seed: 4);
        ClusteringPipeline pipeline = CreateSut(Options(), ImmediateScheduler.Instance);
        var assignments = new List<AssignmentBlock>();
        using IDisposable subscription = pipeline.Assignments.Subscribe(assignments.Add);
        await RunWithWriterAsync(pipeline, points);
        IClusterScorer scorer = pipeline;
        var clusters = new int[100];
        var scores = new float[100];
        var top = new float[100];

        scorer.Score(points.AsSpan(0, 100 * Dimensions), clusters, scores, top);

        CentroidSnapshot model = pipeline.Latest!;
        Assert.Equal(ScoreKind.LogLikelihood, scorer.ScoreKind);
        Assert.All(top, r => Assert.InRange(r, 1f / 4, 1f));
        Assert.All(scores, s => Assert.True(s < 0 && float.IsFinite(s)));
        Assert.InRange(scores.Average(), model.MeanLogLikelihood!.Value - 1, model.MeanLogLikelihood.Value + 1);
        Assert.All(assignments, block =>
        {
            Assert.Equal(block.Count, block.LogLikelihoods.Length);
            Assert.True(block.SquaredDistances.IsEmpty);
        });
        Assert.Equal(3_000, assignments.Sum(b => b.Count));
    }

    internal static StreamingClustersOptions Options(int parallelism = 2) => new()
    {
        Model = "GaussianMixture",
        Clusters = 4,
        BatchSize = 512,
        ShardSize = 64,
        BlockSize = 100,
        ChannelCapacity = 1_000,
        Seed = 7,
        Parallelism = parallelism,
        Seeding = { BufferSize = 1_024 },
    };

    private static StreamingClustersOptions WithCheckpoint(StreamingClustersOptions options, string path)
    {
        options.Checkpoint = new CheckpointOptions { Path = path, Interval = TimeSpan.Zero };
        return options;
    }

    private static IEnumerable<long> Bits(IEnumerable<double> values) => values.Select(BitConverter.DoubleToInt64Bits);

    private static ClusteringPipeline CreateSut(StreamingClustersOptions options, IScheduler? scheduler = null) =>
        new(options, new RecordingDeadLetterSink(), new FakeTimeProvider(), NullLoggerFactory.Instance, scheduler);

    private static async Task<CentroidSnapshot> RunAsync(StreamingClustersOptions options, float[] points)
    {
        ClusteringPipeline pipeline = CreateSut(options);
        await RunWithWriterAsync(pipeline, points);
        return pipeline.Latest!;
    }

    private static async Task<List<CentroidSnapshot>> RecordAllSnapshotsAsync(StreamingClustersOptions options, float[] points)
    {
        ClusteringPipeline pipeline = CreateSut(options, ImmediateScheduler.Instance);
        var snapshots = new List<CentroidSnapshot>();
        using IDisposable subscription = pipeline.Snapshots.Subscribe(snapshots.Add);
        await RunWithWriterAsync(pipeline, points);
        return snapshots;
    }

    private static async Task RunWithWriterAsync(ClusteringPipeline pipeline, float[] points)
    {
        using var stop = new CancellationTokenSource();
        Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token);
        const int Chunk = 333;
        for (int start = 0; start < points.Length / Dimensions; start += Chunk)
        {
            int n = Math.Min(Chunk, (points.Length / Dimensions) - start);
            await pipeline.Writer.WriteAsync(points.AsMemory(start * Dimensions, n * Dimensions), Dimensions);
        }

        await stop.CancelAsync();
        await running;
    }
}
