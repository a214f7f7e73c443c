using Microsoft.Extensions.Logging;

namespace StreamingClusters.Publishing;

internal static partial class PublishingLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "A subscriber of {Stream} threw and was unsubscribed; the pipeline and other subscribers go on")]
    public static partial void SubscriberFailed(ILogger logger, Exception exception, string stream);

    [LoggerMessage(EventId = 301, Level = LogLevel.Debug, Message = "A subscriber of assignments fell behind; {Dropped} blocks dropped so far")]
    public static partial void AssignmentsDropped(ILogger logger, long dropped);
}
