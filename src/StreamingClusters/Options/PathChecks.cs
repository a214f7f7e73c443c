namespace StreamingClusters.Options;

/// <summary>Checks on configured paths, made once at start-up.</summary>
internal static class PathChecks
{
    /// <summary>Tells whether the directory that would hold <paramref name="path"/> exists.</summary>
    /// <param name="path">A file path, relative to the working directory or absolute.</param>
    /// <returns><see langword="true"/> when the parent directory exists.</returns>
    public static bool ParentExists(string path)
    {
        string? parent = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        return parent is null || Directory.Exists(parent);
    }
}
