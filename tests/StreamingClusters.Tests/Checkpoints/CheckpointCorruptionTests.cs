using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Checkpoints;
using StreamingClusters.Model;
using StreamingClusters.Options;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.Checkpoints;

/// <summary>
/// Every way a checkpoint file can be cut short, and a few hundred seeded byte changes: the store never
/// loads a checkpoint that differs from the one written; it falls back to the intact previous one, or,
/// with none, refuses naming the file.
/// </summary>
public sealed class CheckpointCorruptionTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-ckpt-corrupt-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Load_CurrentTruncatedAtEveryLength_FallsBackToTheIntactPrevious()
    {
        CheckpointStore sut = CreateSut();
        sut.Write(Sample(version: 1));
        sut.Write(Sample(version: 2));
        byte[] whole = File.ReadAllBytes(sut.Path);
        byte[] previous = File.ReadAllBytes(sut.PreviousPath);

        for (int length = 0; length < whole.Length; length++)
        {
            File.WriteAllBytes(sut.Path, whole[..length]);

            Checkpoint loaded = sut.Load()!;

            // Only the final newline is outside the JSON: without it the checkpoint is whole.
            Assert.True(loaded.Model.Version == (length == whole.Length - 1 ? 2 : 1), $"Truncated to {length} of {whole.Length} bytes, version {loaded.Model.Version} was loaded.");
        }

        Assert.Equal(previous, File.ReadAllBytes(sut.PreviousPath));
    }

    [Fact]
    public void Load_OnlyCheckpointTruncatedAtEveryLength_RefusesNamingTheFile()
    {
        CheckpointStore sut = CreateSut();
        sut.Write(Sample(version: 1));
        byte[] whole = File.ReadAllBytes(sut.Path);

        for (int length = 0; length < whole.Length - 1; length++)
        {
            File.WriteAllBytes(sut.Path, whole[..length]);

            CheckpointException error = Assert.Throws<CheckpointException>(() => sut.Load());

            Assert.StartsWith($"The checkpoint '{sut.Path}' cannot be used: ", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Load_CurrentWithAByteChangedAtSeededPositions_NeverLoadsAnAlteredCheckpoint()
    {
        CheckpointStore sut = CreateSut();
        Checkpoint written = Sample(version: 2);
        sut.Write(Sample(version: 1));
        sut.Write(written);
        byte[] whole = File.ReadAllBytes(sut.Path);
        var random = new Random(2026);
        int fellBack = 0;

        for (int variant = 0; variant < 400; variant++)
        {
            byte[] altered = (byte[])whole.Clone();
            int position = variant < 8 ? whole.Length - 1 - variant : random.Next(whole.Length);
            // Half single-bit flips (what a bad disk or RAM does), half any other byte.
            altered[position] = variant % 2 == 0
                ? (byte)(whole[position] ^ (1 << random.Next(8)))
                : (byte)((whole[position] + random.Next(1, 256)) % 256);
            File.WriteAllBytes(sut.Path, altered);

            Checkpoint loaded = sut.Load()!;

            if (loaded.Model.Version == 1)
            {
                fellBack++;
                continue;
            }

            // Accepted only when the change is JSON whitespace in place of the final newline: the content is the same.
            Assert.True(position == whole.Length - 1 && altered[position] is (byte)' ' or (byte)'\t' or (byte)'\r', $"A change at byte {position} of {whole.Length} ({whole[position]:x2} → {altered[position]:x2}) was loaded.");
            Assert.Equal(written.Model.Centroids, loaded.Model.Centroids);
        }

        Assert.True(fellBack >= 390, $"Only {fellBack} of 400 altered files were refused.");
    }

    [Fact]
    public void Load_BothCurrentAndPreviousAltered_RefusesAndLeavesBothInPlace()
    {
        CheckpointStore sut = CreateSut();
        sut.Write(Sample(version: 1));
        sut.Write(Sample(version: 2));
        foreach (string path in new[] { sut.Path, sut.PreviousPath })
        {
            byte[] bytes = File.ReadAllBytes(path);
            bytes[bytes.Length / 3] ^= 0x20;
            File.WriteAllBytes(path, bytes);
        }

        byte[] current = File.ReadAllBytes(sut.Path);
        byte[] previous = File.ReadAllBytes(sut.PreviousPath);

        CheckpointException error = Assert.Throws<CheckpointException>(() => sut.Load());

        Assert.Contains(sut.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("--fresh", error.Message, StringComparison.Ordinal);
        Assert.Equal(current, File.ReadAllBytes(sut.Path));
        Assert.Equal(previous, File.ReadAllBytes(sut.PreviousPath));
    }

    [Fact]
    public async Task RunAsync_CorruptCheckpoint_RefusedUnlessStartingFreshOnPurpose()
    {
        string path = Path.Combine(_dir.FullName, "model.ckpt");
        byte[] corrupt = "{\"sha256\":\"00\",\"checkpoint\":{\"format\":1}}\n"u8.ToArray();
        await File.WriteAllBytesAsync(path, corrupt);
        var refused = new ClusteringPipeline(PipelineOptions(path, fresh: false), new RecordingDeadLetterSink(), new FakeTimeProvider(), NullLoggerFactory.Instance);

        CheckpointException error = await Assert.ThrowsAsync<CheckpointException>(() => refused.RunAsync([], false, CancellationToken.None));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal(corrupt, await File.ReadAllBytesAsync(path));

        var fresh = new ClusteringPipeline(PipelineOptions(path, fresh: true), new RecordingDeadLetterSink(), new FakeTimeProvider(), NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        Task running = fresh.RunAsync([], false, stop.Token);
        await fresh.Writer.WriteAsync(TestData.Blobs(1_024, 2, clusters: 2, seed: 3), 2);
        await stop.CancelAsync();
        await running;

        Assert.Equal(1_024, fresh.Latest!.PointsApplied);
        Assert.Equal(fresh.Latest.Version, CreateSut().Load()!.Model.Version);
    }

    private static StreamingClustersOptions PipelineOptions(string path, bool fresh) => new()
    {
        Clusters = 2,
        BatchSize = 256,
        Seeding = { BufferSize = 256 },
        Checkpoint = { Path = path, Interval = TimeSpan.Zero, StartFresh = fresh },
    };

    private CheckpointStore CreateSut() => new(Path.Combine(_dir.FullName, "model.ckpt"), NullLogger.Instance);

    private static Checkpoint Sample(long version)
    {
        var model = new ClusterModel(new ModelSettings(3, 2) { Seed = 5 });
        model.SetCentroids([0.1, 1.0 / 3, 1e-300, -2.5, double.MaxValue / 2, 7]);
        return new Checkpoint
        {
            Model = model.ToState() with { Version = version },
            Counts = [3, 4, 5],
            LastApplied = DateTimeOffset.UnixEpoch,
            Sources = [new SourceCheckpoint("a.csv", 1234, 50, 2, 48)],
            Written = DateTimeOffset.UnixEpoch,
        };
    }
}
