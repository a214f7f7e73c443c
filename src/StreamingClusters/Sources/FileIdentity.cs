using Microsoft.Win32.SafeHandles;

namespace StreamingClusters.Sources;

/// <summary>
/// Opens a followed file and tells whether its path has come to name another file (rotation).
/// </summary>
/// <remarks>
/// .NET has no public API for a file's identity (inode and device), so two open handles are compared
/// instead. On Linux each handle's <c>/proc/self/fd/N</c> link names the file's current path as the
/// kernel sees it: a file renamed away shows its new name, a deleted one a <c>(deleted)</c> suffix,
/// and two handles on one file show the same text, however the path was spelled. Elsewhere (or
/// without <c>/proc</c>) the files' creation times, read through the handles, are compared; that
/// is exact on Windows and macOS, which keep a creation time, but on a file system that keeps
/// none a replacement created within the same clock tick goes unnoticed.
/// </remarks>
internal static class FileIdentity
{
    /// <summary>Opens the file for reading, letting writers append, rename and delete it; <see langword="null"/> when it does not exist.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The stream at offset 0, unbuffered, or <see langword="null"/>.</returns>
    public static FileStream? TryOpen(string path)
    {
        try
        {
            return new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                BufferSize = 0,
                Options = FileOptions.SequentialScan,
            });
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Opens the file at <paramref name="path"/> if it is not the one <paramref name="current"/> reads.</summary>
    /// <param name="path">The followed path.</param>
    /// <param name="current">The file being read.</param>
    /// <returns>The new file at offset 0, or <see langword="null"/> when the path still names the current file, or nothing.</returns>
    public static FileStream? TryOpenIfReplaced(string path, FileStream current)
    {
        FileStream? next = TryOpen(path);
        if (next is null || IsSameFile(current.SafeFileHandle, next.SafeFileHandle))
        {
            next?.Dispose();
            return null;
        }

        return next;
    }

    /// <summary>Tells whether two handles are open on the same file.</summary>
    /// <param name="a">One handle.</param>
    /// <param name="b">The other.</param>
    /// <returns><see langword="true"/> when they read one file.</returns>
    public static bool IsSameFile(SafeFileHandle a, SafeFileHandle b)
    {
        if (OperatingSystem.IsLinux() && ProcLink(a) is { } linkA && ProcLink(b) is { } linkB)
        {
            return string.Equals(linkA, linkB, StringComparison.Ordinal);
        }

        return File.GetCreationTimeUtc(a) == File.GetCreationTimeUtc(b);
    }

    private static string? ProcLink(SafeFileHandle handle)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
