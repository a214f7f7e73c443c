using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Checkpoints;
using StreamingClusters.Model;

namespace StreamingClusters.Tests.Checkpoints;

public sealed class CheckpointStoreTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-ckpt-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Write_ThenLoad_RoundTripsEveryValueExactly()
    {
        CheckpointStore sut = CreateSut();
        Checkpoint written = Sample(version: 7);

        Assert.True(sut.Write(written));
        Checkpoint loaded = sut.Load()!;

        Assert.Equal(written.Model.Centroids, loaded.Model.Centroids);
        Assert.Equal(written.Model.RandomState, loaded.Model.RandomState);
        Assert.Equal(written.Model.Version, loaded.Model.Version);
        Assert.Equal(written.Sources, loaded.Sources);
        Assert.Equal(written.Counts, loaded.Counts);
    }

    [Fact]
    public void Load_None_ReturnsNull()
    {
        Assert.Null(CreateSut().Load());
    }

    [Fact]
    public void Write_Twice_KeepsThePreviousBeside()
    {
        CheckpointStore sut = CreateSut();
        sut.Write(Sample(version: 1));
        sut.Write(Sample(version: 2));

        Assert.True(File.Exists(sut.PreviousPath));
        Assert.Equal(2, sut.Load()!.Model.Version);
    }

    [Fact]
    public void Load_CurrentTornOrFlipped_FallsBackToThePreviousGoodOne()
    {
        CheckpointStore sut = CreateSut();
        sut.Write(Sample(version: 1));
        sut.Write(Sample(version: 2));
        byte[] bytes = File.ReadAllBytes(sut.Path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(sut.Path, bytes);

        Assert.Equal(1, sut.Load()!.Model.Version);
    }

    [Fact]
    public void Load_CurrentMissingAfterACrashBetweenRenames_UsesThePrevious()
    {
        CheckpointStore sut = CreateSut();
        sut.Write(Sample(version: 1));
        File.Move(sut.Path, sut.PreviousPath);

        Assert.Equal(1, sut.Load()!.Model.Version);
    }

    [Fact]
    public void Load_OnlyACorruptCheckpoint_RefusesNamingTheFileAndTheWayOut()
    {
        CheckpointStore sut = CreateSut();
        sut.Write(Sample(version: 1));
        byte[] bytes = File.ReadAllBytes(sut.Path);
        File.WriteAllBytes(sut.Path, bytes[..(bytes.Length / 2)]);

        CheckpointException error = Assert.Throws<CheckpointException>(() => sut.Load());

        Assert.StartsWith($"The checkpoint '{sut.Path}' cannot be used: it is not valid JSON", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("Nothing was started from it. Move it away, or start fresh on purpose with StreamingClusters:Checkpoint:StartFresh=true (--fresh).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_DirectoryGone_ReturnsFalseAndLeavesNoTemporaryFile()
    {
        var sut = new CheckpointStore(Path.Combine(_dir.FullName, "missing", "model.ckpt"), NullLogger.Instance);

        Assert.False(sut.Write(Sample(version: 1)));
        Assert.False(Directory.Exists(Path.Combine(_dir.FullName, "missing")));
    }

    private CheckpointStore CreateSut() => new(Path.Combine(_dir.FullName, "model.ckpt"), NullLogger.Instance);

    private static Checkpoint Sample(long version)
    {
        var model = new ClusterModel(new ModelSettings(2, 3) { Seed = 5 });
        model.SetCentroids([0.1, 1.0 / 3, 1e-300, -2.5, double.MaxValue / 2, 7]);
        return new Checkpoint
        {
            Model = model.ToState() with { Version = version },
            Counts = [3, 4],
            LastApplied = DateTimeOffset.UnixEpoch,
            Sources = [new SourceCheckpoint("a.csv", 1234, 50, 2, 48)],
            Written = DateTimeOffset.UnixEpoch,
        };
    }
}
