using StreamingClusters.Sources;

namespace StreamingClusters.Tests.Sources;

public sealed class FileIdentityTests : IDisposable
{
    private readonly TempFiles _files = new();

    [Fact]
    public void TryOpenIfReplaced_SameFile_Null()
    {
        string path = _files.Create("1\n");
        using FileStream current = FileIdentity.TryOpen(path)!;

        Assert.Null(FileIdentity.TryOpenIfReplaced(path, current));
    }

    [Fact]
    public void TryOpenIfReplaced_RenamedAndRecreated_OpensTheNewFile()
    {
        string path = _files.Create("1\n");
        string rotated = _files.NewPath(".txt");
        using FileStream current = FileIdentity.TryOpen(path)!;
        File.Move(path, rotated);
        File.WriteAllText(path, "22\n");

        using FileStream? next = FileIdentity.TryOpenIfReplaced(path, current);

        Assert.Equal(3, Assert.IsType<FileStream>(next).Length);
    }

    [Fact]
    public void TryOpenIfReplaced_DeletedAndRecreated_OpensTheNewFile()
    {
        string path = _files.Create("1\n");
        using FileStream current = FileIdentity.TryOpen(path)!;
        File.Delete(path);
        File.WriteAllText(path, "22\n");

        using FileStream? next = FileIdentity.TryOpenIfReplaced(path, current);

        Assert.NotNull(next);
    }

    [Fact]
    public void TryOpenIfReplaced_PathGone_Null()
    {
        string path = _files.Create("1\n");
        using FileStream current = FileIdentity.TryOpen(path)!;
        File.Delete(path);

        Assert.Null(FileIdentity.TryOpenIfReplaced(path, current));
    }

    [Fact]
    public void TryOpen_Missing_Null() => Assert.Null(FileIdentity.TryOpen(_files.NewPath(".txt")));

    public void Dispose() => _files.Dispose();
}
