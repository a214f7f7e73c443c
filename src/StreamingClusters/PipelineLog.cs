using Microsoft.Extensions.Logging;

namespace StreamingClusters;

internal static partial class PipelineLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "The input ended without a single valid record; there is no model to publish")]
    public static partial void NoValidRecords(ILogger logger);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Sources have ended; draining the pipeline")]
    public static partial void Draining(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Source {Source} failed; the other sources go on")]
    public static partial void SourceFailed(ILogger logger, Exception exception, string source);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Restored the checkpoint {Path}: version {Version}, {Points} points applied; replayable sources resume where it was taken")]
    public static partial void Restored(ILogger logger, string path, long version, long points);
}
