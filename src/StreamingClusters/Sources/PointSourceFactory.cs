using System.Globalization;
using StreamingClusters.Options;

namespace StreamingClusters.Sources;

/// <summary>Creates the source that a <see cref="SourceOptions"/> describes.</summary>
public static class PointSourceFactory
{
    /// <summary>Creates a source: a file, a followed file or standard input (<c>-</c>), read as CSV or JSON lines.</summary>
    /// <param name="source">The source's settings, already validated with the pipeline's options.</param>
    /// <param name="index">The source's position in <see cref="StreamingClustersOptions.Sources"/>, for its default name and messages.</param>
    /// <param name="options">The pipeline's settings (<see cref="StreamingClustersOptions.MaxRecordLength"/>).</param>
    /// <param name="time">The clock a followed file's source waits on; <see langword="null"/> for the system clock.</param>
    /// <returns>The source, not started.</returns>
    /// <exception cref="ArgumentException">A setting of the source cannot be used; the message names it.</exception>
    public static IPointSource Create(SourceOptions source, int index, StreamingClustersOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        string key = string.Create(CultureInfo.InvariantCulture, $"StreamingClusters:Sources:{index}");
        string path = string.IsNullOrWhiteSpace(source.Path)
            ? throw new ArgumentException($"{key}:Path is required (a file, or - for standard input).", nameof(source))
            : source.Path;
        Func<RecordParser> createParser = ParserFor(source, key);
        string name = source.EffectiveName(index);
        if (source.Follow)
        {
            if (path == "-")
            {
                throw new ArgumentException($"{key}:Follow applies to files, not to standard input.", nameof(source));
            }

            if (source.PollInterval <= TimeSpan.Zero)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{key}:PollInterval must be positive (got {source.PollInterval})."), nameof(source));
            }

            return new FollowFileSource(name, path, createParser, options.MaxRecordLength, source.PollInterval, time ?? TimeProvider.System);
        }

        return path == "-"
            ? new FileSource(name, null, Console.OpenStandardInput, createParser, options.MaxRecordLength)
            : new FileSource(name, path, () => OpenFile(path), createParser, options.MaxRecordLength, parseThreads: options.EffectiveParallelism, chunkSize: ParallelLineParser.ChunkSizeFor(options.MaxRecordLength));
    }

    /// <summary>Checks a source's format settings and returns what creates its parser.</summary>
    /// <param name="source">The source's settings.</param>
    /// <param name="key">The source's configuration key, for messages.</param>
    /// <returns>A function that creates a new parser for each run.</returns>
    internal static Func<RecordParser> ParserFor(SourceOptions source, string key)
    {
        string[] columns = [.. source.Columns];
        for (int k = 0; k < columns.Length; k++)
        {
            if (string.IsNullOrWhiteSpace(columns[k]))
            {
                throw new ArgumentException($"{key}:Columns:{k} is empty.", nameof(source));
            }
        }

        return source.Format switch
        {
            RecordFormat.Csv => CsvParser(source, columns, key),
            RecordFormat.JsonLines => () => new JsonLinesRecordParser(columns),
            _ => throw new ArgumentException($"{key}:Format must be Csv or JsonLines.", nameof(source)),
        };
    }

    private static Func<RecordParser> CsvParser(SourceOptions source, string[] columns, string key)
    {
        char separator = source.Separator;
        if (separator is '"' or '\n' or '\r' or '\0' || !char.IsAscii(separator))
        {
            throw new ArgumentException($"{key}:Separator must be an ASCII character other than a quote, a line break or NUL.", nameof(source));
        }

        if (source.HasHeader == false)
        {
            for (int k = 0; k < columns.Length; k++)
            {
                if (!int.TryParse(columns[k], NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    throw new ArgumentException(
                        $"{key}:Columns:{k} '{columns[k]}' is not a zero-based column index, and {key}:HasHeader is false: columns are named only by a header.",
                        nameof(source));
                }
            }
        }

        bool? hasHeader = source.HasHeader;
        return () => new CsvRecordParser((byte)separator, hasHeader, columns, key);
    }

    private static FileStream OpenFile(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.Open,
        Access = FileAccess.Read,
        Share = FileShare.ReadWrite | FileShare.Delete,
        BufferSize = 0,
        Options = FileOptions.SequentialScan,
    });
}
