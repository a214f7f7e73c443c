using System.Reactive.Concurrency;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Model;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests;

/// <summary>
/// Pins the model's published behaviour bit for bit: every snapshot of a few seeded runs (centroids,
/// weights, inertia, version, counts, reseeds) hashes to the value recorded from the code as it was.
/// A change that is meant to alter what subscribers see updates these values in the same commit and
/// says so; any other change must leave them alone.
/// </summary>
public sealed class SnapshotPinTests
{
    private const int Dimensions = 5;

    /// <summary>Gets each run, its parallelism and its hash (the same on the Vector512, Vector256 and scalar paths).</summary>
    public static TheoryData<string, int, string> Runs => new()
    {
        { "plain", 1, "6D06BC43E1D1381D433498F24406BD39" },
        { "plain", 2, "6D06BC43E1D1381D433498F24406BD39" },
        { "half-life in batches", 1, "0B740281E85999BC5E60308F4A712A79" },
        { "half-life in batches", 2, "0B740281E85999BC5E60308F4A712A79" },
        { "half-life in points", 2, "38DA4B2284579A209456CA4F561D2B1F" },
        { "reseeds", 1, "5F54BBB707C46229CB760483F25EDFA0" },
        { "reseeds", 2, "5F54BBB707C46229CB760483F25EDFA0" },
        { "shorter than the seeding buffer", 2, "B8471AF716D48CEC9408D5C86743644F" },
        { "configured centroids", 2, "49713E901EF7E037D6ECECD622E980B7" },
        { "repair", 1, "F1717D5BD34C43B9126E4CCFABDF9752" },
        { "repair", 2, "F1717D5BD34C43B9126E4CCFABDF9752" },
        { "breathing", 1, "99C6FFA7099AC83E72843ACDCC98D1DC" },
        { "breathing", 2, "99C6FFA7099AC83E72843ACDCC98D1DC" },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public async Task RunAsync_SeededRun_SnapshotsHashAsRecorded(string run, int parallelism, string expected)
    {
        (StreamingClustersOptions options, float[] points) = Scenario(run, parallelism);

        (List<CentroidSnapshot> snapshots, List<ClusterEvent> events) = await RecordAllSnapshotsAsync(options, points);

        if (run == "reseeds")
        {
            Assert.Contains(snapshots, s => s.Reseeds.Count > 0);

            // Ids last across versions and are never reused: a reseed retires one and creates the next.
            var seen = new HashSet<long>(Enumerable.Range(0, options.Clusters).Select(c => (long)c));
            foreach (CentroidSnapshot s in snapshots.Where(s => !s.IsFinal))
            {
                Assert.Equal(s.Clusters, s.Ids.Distinct().Count());
                foreach (ReseedEvent reseed in s.Reseeds)
                {
                    Assert.True(seen.Add(reseed.NewId));
                    Assert.Equal(reseed.NewId, s.Ids[reseed.Cluster]);
                }
            }
        }

        if (run == "repair")
        {
            // The seeding saw three of six places: the repair gives the others centroids of their own.
            Assert.Contains(events, e => e.Kind == ClusterEventKind.SplitOff);
            Assert.Equal(
                events.Count(e => e.Kind == ClusterEventKind.Removed),
                events.Count(e => e.Kind == ClusterEventKind.SplitOff));
            Assert.Equal(options.Clusters, events.Count(e => e.Kind == ClusterEventKind.Seeded));
        }

        if (run == "breathing")
        {
            // A breath is kept: the start is not the one k-means++ and Lloyd alone made.
            Assert.All(events.Where(e => e.Kind == ClusterEventKind.Seeded), e => Assert.True(System.Text.RegularExpressions.Regex.IsMatch(e.Reason, @"\(best of 1 start, [1-9][0-9]* of [0-9]+ breaths kept\)$"), e.Reason));
        }

        Assert.Equal(expected, Hash(snapshots));
    }

    private static (StreamingClustersOptions Options, float[] Points) Scenario(string run, int parallelism)
    {
        StreamingClustersOptions options = ClusteringPipelineTests.Options(parallelism);

        // The runs recorded before the repair and the seeding's breaths existed keep their bits with them off.
        options.Repair = false;
        options.Seeding.Breaths = 0;
        switch (run)
        {
            case "plain":
                return (options, TestData.Blobs(12_000, Dimensions, clusters: 6, seed: 11));
            case "half-life in batches":
                options.HalfLife = "4batches";
                return (options, TestData.Blobs(12_000, Dimensions, clusters: 5, seed: 12));
            case "half-life in points":
                options.HalfLife = "3000points";
                return (options, TestData.Blobs(12_000, Dimensions, clusters: 3, seed: 13));
            case "reseeds":
                // The stream moves to other places: the clusters left behind fade and are reseeded.
                options.Clusters = 6;
                options.HalfLife = "2batches";
                options.ReseedRatio = 0.05;
                return (options, [.. TestData.Blobs(4_000, Dimensions, clusters: 6, seed: 14), .. TestData.Blobs(8_000, Dimensions, clusters: 2, seed: 15)]);
            case "shorter than the seeding buffer":
                return (options, TestData.Blobs(700, Dimensions, clusters: 4, seed: 16));
            case "configured centroids":
                options.Dimensions = Dimensions;
                options.InitialCentroids = [.. Enumerable.Range(0, options.Clusters).Select(c => Enumerable.Repeat(c * 30.0, Dimensions).ToArray())];
                return (options, TestData.Blobs(6_000, Dimensions, clusters: 4, seed: 17));
            case "repair":
                options.Repair = true;
                options.Clusters = 6;
                return (options, [.. TestData.Blobs(1_500, Dimensions, clusters: 3, seed: 18), .. TestData.Blobs(12_000, Dimensions, clusters: 6, seed: 19)]);
            case "breathing":
                // Breathing k-means on the seeding buffer (the default breaths) after one plain k-means++
                // start, then the stream with the repair: twelve places, six clusters.
                options.Repair = true;
                options.Seeding.Breaths = new SeedingOptions().Breaths;
                options.Seeding.Candidates = 1;
                options.Clusters = 6;
                return (options, TestData.Blobs(12_000, Dimensions, clusters: 12, seed: 22));
            default:
                throw new ArgumentOutOfRangeException(nameof(run), run, "No such run.");
        }
    }

    private static async Task<(List<CentroidSnapshot> Snapshots, List<ClusterEvent> Events)> RecordAllSnapshotsAsync(StreamingClustersOptions options, float[] points)
    {
        // The immediate scheduler delivers every snapshot, in order, on the model's thread; the fake
        // clock never moves, so batches close at B points only and every run cuts the same batches.
        var pipeline = new ClusteringPipeline(options, new RecordingDeadLetterSink(), new FakeTimeProvider(), NullLoggerFactory.Instance, ImmediateScheduler.Instance);
        var snapshots = new List<CentroidSnapshot>();
        using IDisposable subscription = pipeline.Snapshots.Subscribe(snapshots.Add);
        var events = new List<ClusterEvent>();
        using IDisposable eventSubscription = pipeline.Events.Subscribe(events.Add);
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
        return (snapshots, events);
    }

    /// <summary>Hashes what the model decides (not the ingest's totals, which depend on how far the writer had got).</summary>
    private static string Hash(List<CentroidSnapshot> snapshots)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var bytes = new byte[8];
        void Add(long value)
        {
            BitConverter.TryWriteBytes(bytes, value);
            hash.AppendData(bytes);
        }

        void AddDouble(double value) => Add(BitConverter.DoubleToInt64Bits(value));

        Add(snapshots.Count);
        foreach (CentroidSnapshot s in snapshots)
        {
            Add(s.Version);
            Add(s.IsFinal ? 1 : 0);
            Add(s.Clusters);
            Add(s.Dimensions);
            Add(s.PointsApplied);
            Add(s.BatchPoints);
            AddDouble(s.Inertia);
            AddDouble(s.MeanSquaredDistance);
            foreach (double[] centroid in s.Centroids)
            {
                foreach (double v in centroid)
                {
                    AddDouble(v);
                }
            }

            foreach (double w in s.Weights)
            {
                AddDouble(w);
            }

            foreach (long n in s.Counts)
            {
                Add(n);
            }

            Add(s.Reseeds.Count);
            foreach (ReseedEvent reseed in s.Reseeds)
            {
                Add(reseed.Cluster);
                AddDouble(reseed.PreviousWeight);
                AddDouble(reseed.NewWeight);
            }
        }

        return Convert.ToHexString(hash.GetCurrentHash())[..32];
    }
}
