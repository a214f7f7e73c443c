using Microsoft.Extensions.Logging;

namespace StreamingClusters;

internal static partial class PipelineLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "The input ended without a single valid record; there is no model to publish")]
    public static partial void NoValidRecords(ILogger logger);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "The sources have ended or been stopped; draining the pipeline")]
    public static partial void Draining(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Source {Source} failed; the other sources go on")]
    public static partial void SourceFailed(ILogger logger, Exception exception, string source);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Restored the checkpoint {Path}: version {Version}, {Points} points applied; replayable sources resume where it was taken")]
    public static partial void Restored(ILogger logger, string path, long version, long points);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "The drain was abandoned when the shutdown time-out passed: {Points} accepted points were left unapplied. Replayable sources resume from the last checkpoint, which covers applied batches only; the other sources' unapplied points are lost. Raise HostOptions:ShutdownTimeout to drain them")]
    public static partial void DrainAbandoned(ILogger logger, long points);
}
