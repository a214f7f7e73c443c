using Microsoft.Extensions.Logging;

namespace StreamingClusters.Hosting;

internal static partial class HostingLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Wrote the final snapshot (version {Version}) to {Path}")]
    public static partial void SnapshotWritten(ILogger logger, long version, string path);

    [LoggerMessage(EventId = 401, Level = LogLevel.Critical, Message = "The pipeline stopped: {Reason}")]
    public static partial void PipelineFailed(ILogger logger, Exception exception, string reason);

    [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "The run ended without its final checkpoint: {Path} could not be written ({Error}); a restart resumes from the last good checkpoint (last written by this run: {LastWritten})")]
    public static partial void FinalCheckpointMissing(ILogger logger, string path, string? error, DateTimeOffset? lastWritten);
}
