namespace StreamingClusters.Checkpoints;

/// <summary>
/// The few file operations a <see cref="CheckpointStore"/> uses. The real file system in production;
/// tests put one in its place that fails with the errors a disk gives (ENOSPC, EIO, EACCES) at any step.
/// </summary>
internal class CheckpointFileSystem
{
    /// <summary>The real file system.</summary>
    public static readonly CheckpointFileSystem Real = new();

    /// <summary>Creates or truncates a file for writing.</summary>
    public virtual Stream Create(string path) => new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);

    /// <summary>Flushes a stream from <see cref="Create"/> through to the disk.</summary>
    public virtual void FlushToDisk(Stream stream) => ((FileStream)stream).Flush(flushToDisk: true);

    public virtual bool Exists(string path) => File.Exists(path);

    public virtual void Move(string from, string to, bool overwrite) => File.Move(from, to, overwrite);

    /// <summary>
    /// Flushes a directory's entries (the renames done in it) through to the disk, so a checkpoint survives a power
    /// loss and not only a killed process. POSIX needs an fsync of the directory itself; on Windows the renames are
    /// journaled by the file system and there is nothing to do.
    /// </summary>
    public virtual void FlushDirectoryToDisk(string directory) => DirectorySync.Flush(directory);

    public virtual byte[] ReadAllBytes(string path) => File.ReadAllBytes(path);

    public virtual void Delete(string path) => File.Delete(path);
}
