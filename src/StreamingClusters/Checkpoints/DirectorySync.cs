using System.ComponentModel;
using System.Runtime.InteropServices;

namespace StreamingClusters.Checkpoints;

/// <summary>fsync(2) of a directory: .NET opens no directory handles, so this goes to libc.</summary>
internal static partial class DirectorySync
{
    // O_RDONLY: a read-only descriptor of a directory may be fsynced on Linux and the BSDs; O_DIRECTORY is
    // left out because its value differs between architectures.
    private const int ReadOnly = 0;

    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        int descriptor = Open(directory, ReadOnly);
        if (descriptor < 0)
        {
            throw NewIOException(directory);
        }

        try
        {
            if (FSync(descriptor) != 0)
            {
                throw NewIOException(directory);
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    private static IOException NewIOException(string directory)
    {
        int error = Marshal.GetLastPInvokeError();
        return new IOException($"fsync of the directory '{directory}' failed: {new Win32Exception(error).Message}", error);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);
}
