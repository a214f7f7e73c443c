using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace StreamingClusters.Worker;

/// <summary>Options of <see cref="WorkerConsoleFormatter"/>.</summary>
internal sealed class WorkerConsoleFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>Gets or sets a value indicating whether exceptions are logged with their stack traces (at Debug level and below).</summary>
    public bool StackTraces { get; set; }
}

/// <summary>
/// One line per log entry: time, level and message. An exception adds its message, not its stack trace,
/// unless the log level is Debug or lower: a user's mistake (a missing file, a wrong column) needs
/// the reason, not the code path. The entries the worker reports itself, once, in its own words on
/// standard error (a pipeline failure, an input without a valid record, a host that did not start) are
/// left out.
/// </summary>
internal sealed class WorkerConsoleFormatter : ConsoleFormatter
{
    /// <summary>The formatter's name.</summary>
    public const string FormatterName = "streamingclusters";

    private static readonly (string Category, int EventId)[] ReportedByTheWorker =
    [
        ("StreamingClusters.Hosting.StreamingClustersService", 401), // The pipeline stopped: …
        ("StreamingClusters.ClusteringPipeline", 1), // The input ended without a single valid record
        ("Microsoft.Extensions.Hosting.Internal.Host", 11), // Hosting failed to start
    ];

    private readonly IOptionsMonitor<WorkerConsoleFormatterOptions> _options;

    public WorkerConsoleFormatter(IOptionsMonitor<WorkerConsoleFormatterOptions> options)
        : base(FormatterName)
    {
        _options = options;
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        foreach ((string category, int eventId) in ReportedByTheWorker)
        {
            if (logEntry.EventId.Id == eventId && logEntry.Category == category)
            {
                return;
            }
        }

        string message = logEntry.Formatter(logEntry.State, logEntry.Exception) ?? string.Empty;
        Exception? exception = logEntry.Exception;
        if (message.Length == 0 && exception is null)
        {
            return;
        }

        WorkerConsoleFormatterOptions options = _options.CurrentValue;
        textWriter.Write(DateTimeOffset.Now.ToString(options.TimestampFormat ?? "HH:mm:ss ", CultureInfo.InvariantCulture));
        textWriter.Write(Level(logEntry.LogLevel));
        textWriter.Write(": ");
        textWriter.Write(message);
        if (exception is not null)
        {
            if (options.StackTraces)
            {
                textWriter.Write(Environment.NewLine);
                textWriter.Write(exception.ToString());
            }
            else if (!message.Contains(exception.Message, StringComparison.Ordinal))
            {
                textWriter.Write(": ");
                textWriter.Write(exception.Message);
            }
        }

        textWriter.Write(Environment.NewLine);
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}
