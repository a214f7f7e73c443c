namespace StreamingClusters.Checkpoints;

/// <summary>How checkpoint writes are going: a write that fails leaves the last good checkpoint intact and the pipeline running, and is tried again at the next interval.</summary>
/// <param name="Path">The checkpoint file.</param>
/// <param name="Written">Checkpoints written since start.</param>
/// <param name="Failed">Writes that failed since start.</param>
/// <param name="ConsecutiveFailures">Writes that failed since the last one that succeeded; zero when healthy.</param>
/// <param name="LastWritten">When the last good checkpoint was written by this process, if any.</param>
/// <param name="LastError">Why the last write failed (the OS error, naming the file), while <paramref name="ConsecutiveFailures"/> is above zero.</param>
public sealed record CheckpointStatus(string Path, long Written, long Failed, int ConsecutiveFailures, DateTimeOffset? LastWritten, string? LastError)
{
    /// <summary>Gets whether the last write failed: the model goes on learning, but a restart would go back to the last good checkpoint.</summary>
    public bool IsFailing => ConsecutiveFailures > 0;
}
