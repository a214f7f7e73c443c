using System.Reactive.Concurrency;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Randomness;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.Scaling;

/// <summary>The pipeline with <c>Scaling</c> standardize: every surface in the input's units, the scaling in the snapshot.</summary>
public sealed class ScaledPipelineTests
{
    private const int Dimensions = 2;

    /// <summary>Two blobs whose centres differ by 20 in a column of spread 1 and by 4000 in a column of spread 1000.</summary>
    private static readonly double[] Centres = [10, 5_000, -10, 9_000];

    private static float[] TwoBlobs(int count, ulong seed)
    {
        var random = new ModelRandom(seed);
        var points = new float[count * Dimensions];
        for (int i = 0; i < count; i++)
        {
            int blob = i % 2;
            points[2 * i] = (float)(Centres[2 * blob] + random.NextGaussian());
            points[(2 * i) + 1] = (float)(Centres[(2 * blob) + 1] + (100 * random.NextGaussian()));
        }

        return points;
    }

    private static StreamingClustersOptions Options(string scaling) => new()
    {
        Clusters = 2,
        BatchSize = 500,
        Seed = 3,
        Scaling = scaling,
        Seeding = { BufferSize = 1_000 },
    };

    private static ClusteringPipeline CreateSut(StreamingClustersOptions options) =>
        new(options, new RecordingDeadLetterSink(), new FakeTimeProvider(), NullLoggerFactory.Instance, ImmediateScheduler.Instance);

    private static async Task RunAsync(ClusteringPipeline pipeline, float[] points)
    {
        using var stop = new CancellationTokenSource();
        Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token);
        await pipeline.Writer.WriteAsync(points, Dimensions);
        await stop.CancelAsync();
        await running;
    }

    private static int Blob(double[] centroid) => centroid[0] > 0 ? 0 : 1;

    [Fact]
    public async Task Snapshot_Standardize_CentroidsAreTheBlobCentresInInputUnits()
    {
        ClusteringPipeline pipeline = CreateSut(Options("standardize"));

        await RunAsync(pipeline, TwoBlobs(6_000, 1));

        CentroidSnapshot latest = pipeline.Latest!;
        foreach (double[] centroid in latest.Centroids)
        {
            int blob = Blob(centroid);
            Assert.Equal(Centres[2 * blob], centroid[0], 0.1);
            Assert.Equal(Centres[(2 * blob) + 1], centroid[1], 10.0);
        }
    }

    [Fact]
    public async Task SnapshotJson_Standardize_CarriesEachColumnsMeanAndStd()
    {
        ClusteringPipeline pipeline = CreateSut(Options("standardize"));

        await RunAsync(pipeline, TwoBlobs(6_000, 1));

        using JsonDocument json = JsonDocument.Parse(SnapshotJson.Serialize(pipeline.Latest!));
        JsonElement scaling = json.RootElement.GetProperty("scaling");
        double[] mean = [.. scaling.GetProperty("mean").EnumerateArray().Select(v => v.GetDouble())];
        double[] std = [.. scaling.GetProperty("std").EnumerateArray().Select(v => v.GetDouble())];
        Assert.Equal(0, mean[0], 0.2);
        Assert.Equal(7_000, mean[1], 20.0);
        Assert.Equal(Math.Sqrt(1 + 100), std[0], 0.1);
        Assert.Equal(Math.Sqrt((100 * 100) + (2_000 * 2_000)), std[1], 20.0);
        Assert.Equal(pipeline.Latest!.Scaling!.Mean, SnapshotJson.Deserialize(SnapshotJson.Serialize(pipeline.Latest!)).Scaling!.Mean);
    }

    [Fact]
    public async Task SnapshotJson_None_HasNoScaling()
    {
        ClusteringPipeline pipeline = CreateSut(Options("none"));

        await RunAsync(pipeline, TwoBlobs(6_000, 1));

        using JsonDocument json = JsonDocument.Parse(SnapshotJson.Serialize(pipeline.Latest!));
        Assert.False(json.RootElement.TryGetProperty("scaling", out _));
        Assert.Null(pipeline.Latest!.Scaling);
    }

    [Fact]
    public async Task Score_Standardize_TakesInputUnitsAndGivesSquaredDistancesInTheScaledSpace()
    {
        ClusteringPipeline pipeline = CreateSut(Options("standardize"));
        await RunAsync(pipeline, TwoBlobs(6_000, 1));
        CentroidSnapshot latest = pipeline.Latest!;
        double[] std = latest.Scaling!.Std;

        // One probe on each centroid, one 30 units off the first in the small column.
        double[] first = latest.Centroids[0];
        double[] second = latest.Centroids[1];
        float[] probes = [(float)first[0], (float)first[1], (float)second[0], (float)second[1], (float)first[0] + 3, (float)first[1]];
        int[] clusters = new int[3];
        float[] distances = new float[3];
        pipeline.Score(probes, clusters, distances);

        Assert.Equal([0, 1, 0], clusters);
        Assert.InRange(distances[0], 0f, 1e-3f);
        Assert.InRange(distances[1], 0f, 1e-3f);
        Assert.Equal(9 / (std[0] * std[0]), distances[2], 1e-3);
    }

    [Fact]
    public async Task Assignments_Standardize_PointsAreTheInputsInInputUnits()
    {
        float[] points = TwoBlobs(3_000, 2);
        ClusteringPipeline pipeline = CreateSut(Options("standardize"));
        var published = new List<float>();
        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable subscription = pipeline.Assignments.Subscribe(b => published.AddRange(b.Points.ToArray()), () => completed.TrySetResult());

        await RunAsync(pipeline, points);
        await completed.Task;

        Assert.Equal(points, published);
    }
}
