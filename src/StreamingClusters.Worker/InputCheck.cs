using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using StreamingClusters.Options;
using StreamingClusters.Sources;

namespace StreamingClusters.Worker;

/// <summary>
/// Looks at the first lines of the input files before the run starts: the format of an <c>--input</c>
/// given without <c>--format</c>, columns that the header does not have (refused at start-up, rather
/// than a source failing once running), and a time column about to be used as a feature.
/// </summary>
internal static partial class InputCheck
{
    /// <summary>
    /// The format of <paramref name="input"/>: <c>jsonl</c> for a <c>.jsonl</c> or <c>.ndjson</c> file and for
    /// a file whose first line is a JSON object or array (a <c>.json</c> file of JSON lines, say), else <c>csv</c>.
    /// Standard input is not looked at (what is read to look cannot be put back): it is CSV unless told.
    /// </summary>
    /// <param name="input">The --input path.</param>
    /// <returns><c>csv</c> or <c>jsonl</c>.</returns>
    public static string GuessFormat(string input)
    {
        if (input.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || input.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase))
        {
            return "jsonl";
        }

        return input != "-" && FirstLines(input, 1) is [var first] && first.TrimStart() is ['{' or '[', ..] ? "jsonl" : "csv";
    }

    /// <summary>Warnings about columns that look like times and are used as features, one per source.</summary>
    /// <param name="options">The run's settings.</param>
    /// <returns>The warnings.</returns>
    public static IEnumerable<string> TimeColumns(StreamingClustersOptions options)
    {
        foreach (SourceOptions source in options.Sources)
        {
            if (source.Format != RecordFormat.Csv || source.HasHeader == false || source.Path is null or "-"
                || FirstLines(source.Path, 2) is not [var header, var row])
            {
                continue;
            }

            string[] names = Split(header, source.Separator);
            string[] values = Split(row, source.Separator);
            if (names.All(IsNumber) || values.Length != names.Length)
            {
                continue;
            }

            int[] used = source.Columns.Count == 0
                ? [.. Enumerable.Range(0, names.Length)]
                : [.. source.Columns.Select(c => Array.FindIndex(names, n => string.Equals(n, c, StringComparison.OrdinalIgnoreCase)) is int i and >= 0 ? i : int.TryParse(c, CultureInfo.InvariantCulture, out int k) ? k : -1)];
            string[] times = [.. used.Where(i => i >= 0 && i < names.Length && IsNumber(values[i]) && TimeLike().IsMatch(names[i])).Select(i => names[i])];
            if (times.Length == 0)
            {
                continue;
            }

            string[] features = [.. Enumerable.Range(0, names.Length).Where(i => IsNumber(values[i]) && !TimeLike().IsMatch(names[i])).Select(i => ColumnToken(names, i))];
            string example = features.Length == 0 ? string.Empty : $" (e.g. --columns {string.Join(',', features)})";
            yield return $"Column {string.Join(", ", times.Select(t => $"'{t}'"))} of {source.Path} looks like a time and is used as a feature like any other number; pick the feature columns with --columns{example}.";
        }
    }

    /// <summary>The header names of the first CSV source's columns that hold a number in its first record and are not times.</summary>
    /// <param name="options">The run's settings.</param>
    /// <returns>The names; none when there is no such source or header.</returns>
    public static string[] NumericColumns(StreamingClustersOptions options)
    {
        foreach (SourceOptions source in options.Sources)
        {
            if (source.Format == RecordFormat.Csv && source.HasHeader != false && source.Path is not (null or "-")
                && FirstLines(source.Path, 2) is [var header, var row])
            {
                string[] names = Split(header, source.Separator);
                string[] values = Split(row, source.Separator);
                if (values.Length == names.Length && !names.All(IsNumber))
                {
                    return [.. Enumerable.Range(0, names.Length).Where(i => IsNumber(values[i]) && !TimeLike().IsMatch(names[i])).Select(i => ColumnToken(names, i))];
                }
            }
        }

        return [];
    }

    /// <summary>The first <paramref name="count"/> non-blank lines of a file (fewer if it has fewer, none if it cannot be read).</summary>
    private static string[] FirstLines(string path, int count)
    {
        try
        {
            using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            var lines = new List<string>(count);
            char[] buffer = new char[65_536];
            int read = reader.ReadBlock(buffer);
            foreach (string line in new string(buffer, 0, read).Split('\n'))
            {
                if (lines.Count == count)
                {
                    break;
                }

                if (!string.IsNullOrWhiteSpace(line))
                {
                    lines.Add(line.TrimEnd('\r'));
                }
            }

            return [.. lines];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The fields of a CSV line as the sources read them (quotes, blanks); none if it cannot be split.</summary>
    private static string[] Split(string line, char separator)
    {
        if (separator > 127)
        {
            return [];
        }

        byte[] bytes = Encoding.UTF8.GetBytes(line);
        var splitter = new CsvFieldSplitter((byte)separator);
        if (splitter.Split(bytes) is not null)
        {
            return [];
        }

        var fields = new string[splitter.Count];
        for (int i = 0; i < fields.Length; i++)
        {
            fields[i] = Encoding.UTF8.GetString(splitter.Field(bytes, i)).Replace("\"\"", "\"", StringComparison.Ordinal);
        }

        return fields;
    }

    /// <summary>How <c>--columns</c> names a column: by its name, or by its index when the name holds a comma (the switch's separator).</summary>
    private static string ColumnToken(string[] names, int index) =>
        names[index].Contains(',', StringComparison.Ordinal) ? index.ToString(CultureInfo.InvariantCulture) : names[index];

    private static bool IsNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>Header names of times: time, timestamp, ts, date, datetime, epoch, and names ending in _at, _time, _ts or _date.</summary>
    [GeneratedRegex(@"^(?:time|timestamp|ts|date|datetime|epoch|unix_?time|.*[_ .-](?:at|time|timestamp|ts|date)|(?:time|date)[_ .-].*)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TimeLike();

    /// <summary>
    /// Refuses, at start-up, CSV columns that the header of an existing file does not have, with the
    /// reader's own message (naming <c>--columns</c> for an <c>--input</c>).
    /// </summary>
    internal sealed partial class ColumnsValidator(CommandLineSwitches switches) : IValidateOptions<StreamingClustersOptions>
    {
        public ValidateOptionsResult Validate(string? name, StreamingClustersOptions options)
        {
            var failures = new List<string>();
            for (int i = 0; i < options.Sources.Count; i++)
            {
                SourceOptions source = options.Sources[i];
                if (source.Format != RecordFormat.Csv || source.Columns.Count == 0 || source.Path is null or "-"
                    || source.Separator > 127 || FirstLines(source.Path, 1) is not [var first])
                {
                    continue;
                }

                string setting = $"{StreamingClustersOptions.SectionName}:Sources:{i}";
                try
                {
                    new CsvRecordParser((byte)source.Separator, source.HasHeader, source.Columns, setting).TryReadHeader(Encoding.UTF8.GetBytes(first));
                }
                catch (Exception ex) when (ex is InvalidOperationException or InvalidDataException)
                {
                    failures.Add(switches.Input is null ? ex.Message : ColumnsSwitch().Replace(ex.Message, "--columns"));
                }
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }

        [GeneratedRegex(@"StreamingClusters:Sources:0:Columns:\d+")]
        private static partial Regex ColumnsSwitch();
    }
}
