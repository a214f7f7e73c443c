using Microsoft.Extensions.Logging;
using StreamingClusters.Ingest;

namespace StreamingClusters.Sinks;

/// <summary>
/// The dead-letter sink when no file is configured: the first rejections are logged in full, later
/// ones only counted (the counts are in every snapshot), so a flood of bad input cannot flood the log.
/// </summary>
public sealed partial class LoggingDeadLetterSink : IDeadLetterSink
{
    private const int LoggedInFull = 5;
    private readonly ILogger<LoggingDeadLetterSink> _logger;
    private long _count;

    /// <summary>Creates the sink.</summary>
    /// <param name="logger">Where rejections are logged.</param>
    public LoggingDeadLetterSink(ILogger<LoggingDeadLetterSink> logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
    }

    /// <summary>Gets the number of rejections received.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <inheritdoc/>
    public void Write(in RejectedRecord record)
    {
        long n = Interlocked.Increment(ref _count);
        if (n <= LoggedInFull)
        {
            Rejected(record.Model is null ? record.Source : $"{record.Source} of model {record.Model}", record.Record, record.Reason, record.Raw);
        }
        else if (n == LoggedInFull + 1)
        {
            MoreRejected(LoggedInFull);
        }
    }

    /// <inheritdoc/>
    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Rejected record {Record} of {Source}: {Reason}: {Raw}")]
    private partial void Rejected(string source, long record, string reason, string raw);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "More than {Count} records rejected; further rejections are counted in the snapshots but not logged (set StreamingClusters:DeadLetterPath to keep them all)")]
    private partial void MoreRejected(int count);
}
