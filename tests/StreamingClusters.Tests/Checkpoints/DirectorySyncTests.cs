using StreamingClusters.Checkpoints;

namespace StreamingClusters.Tests.Checkpoints;

/// <summary>The fsync of the checkpoint directory that makes the renames durable.</summary>
public sealed class DirectorySyncTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-dirsync-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Flush_AnExistingDirectory_Succeeds()
    {
        CheckpointFileSystem.Real.FlushDirectoryToDisk(_dir.FullName);
    }

    [Fact]
    public void Flush_AMissingDirectory_ThrowsIOExceptionNamingItAndTheOsError()
    {
        string missing = Path.Combine(_dir.FullName, "gone");

        IOException ex = Assert.Throws<IOException>(() => CheckpointFileSystem.Real.FlushDirectoryToDisk(missing));

        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Contains("No such file or directory", ex.Message, StringComparison.Ordinal);
    }
}
