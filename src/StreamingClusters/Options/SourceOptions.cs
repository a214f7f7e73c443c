using System.Globalization;

namespace StreamingClusters.Options;

/// <summary>The record format of a source.</summary>
public enum RecordFormat
{
    /// <summary>Delimiter-separated values, one record per line, header optional.</summary>
    Csv,

    /// <summary>One JSON object (or array of numbers) per line.</summary>
    JsonLines,

    /// <summary>
    /// JSON: for a file, the same as <see cref="JsonLines"/>; for a message source (MQTT), a message is one
    /// JSON object or array of numbers, or a JSON array of them (a batch).
    /// </summary>
    Json = JsonLines,
}

/// <summary>One input of the pipeline: a file, a followed file, standard input, or a message source such as MQTT.</summary>
public sealed class SourceOptions
{
    /// <summary>Gets or sets what kind of source this is; a kind other than <see cref="SourceKind.File"/> is created by a registered <see cref="Sources.IPointSourceProvider"/>.</summary>
    /// <value>The default value is <see cref="SourceKind.File"/>.</value>
    public SourceKind Kind { get; set; } = SourceKind.File;

    /// <summary>Gets or sets the source's name in counters, dead letters and checkpoints; empty uses the path.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Name { get; set; }

    /// <summary>Gets or sets the file to read, or <c>-</c> for standard input.</summary>
    /// <value>The default value is <see langword="null"/> (required).</value>
    public string? Path { get; set; }

    /// <summary>Gets or sets the record format.</summary>
    /// <value>The default value is <see cref="RecordFormat.Csv"/>.</value>
    public RecordFormat Format { get; set; } = RecordFormat.Csv;

    /// <summary>
    /// Gets or sets whether the first CSV line is a header; <see langword="null"/> detects it (a first line
    /// that is not all numbers is a header).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public bool? HasHeader { get; set; }

    /// <summary>Gets or sets the CSV separator.</summary>
    /// <value>The default value is <c>,</c>.</value>
    public char Separator { get; set; } = ',';

    /// <summary>
    /// Gets or sets the columns (CSV: header names or zero-based indexes) or fields (JSON lines: property
    /// names) that make a point, in order; empty takes every column, or every numeric field.
    /// </summary>
    public IList<string> Columns { get; set; } = [];

    /// <summary>Gets or sets whether to keep reading lines appended to the file after its end.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool Follow { get; set; }

    /// <summary>Gets or sets how long a followed file's source waits at the end of the data before it looks again.</summary>
    /// <value>The default value is 250 milliseconds.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Gets the name used for this source at <paramref name="index"/>.</summary>
    /// <param name="index">The source's position in the list.</param>
    /// <returns>The configured name, else the path, else <c>source-N</c>.</returns>
    public string EffectiveName(int index) =>
        !string.IsNullOrWhiteSpace(Name) ? Name
        : Kind != SourceKind.File ? string.Create(CultureInfo.InvariantCulture, $"{Kind.ToString().ToLowerInvariant()}-{index}")
        : !string.IsNullOrWhiteSpace(Path) ? (Path == "-" ? "stdin" : Path) : $"source-{index}";

    /// <summary>Lists what is wrong with this source, each message naming the setting.</summary>
    /// <param name="index">The source's position in the list.</param>
    /// <returns>The problems; none when the source is valid.</returns>
    public IEnumerable<string> Problems(int index)
    {
        string key = $"StreamingClusters:Sources:{index}";
        if (!Enum.IsDefined(Kind))
        {
            yield return $"{key}:Kind must be File or Mqtt.";
            yield break;
        }

        if (Kind != SourceKind.File)
        {
            // The provider of that kind checks its own settings (see IPointSourceProvider).
            if (!Enum.IsDefined(Format))
            {
                yield return $"{key}:Format must be Csv or Json.";
            }

            yield break;
        }

        if (string.IsNullOrWhiteSpace(Path))
        {
            yield return $"{key}:Path is required (a file, or - for standard input).";
        }
        else if (Path != "-" && !Follow && !File.Exists(Path))
        {
            yield return $"{key}:Path '{Path}' does not exist.";
        }

        if (Path == "-" && Follow)
        {
            yield return $"{key}:Follow applies to files, not to standard input.";
        }

        if (PollInterval <= TimeSpan.Zero)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{key}:PollInterval must be positive (got {PollInterval}).");
        }

        if (Separator is '"' or '\n' or '\r' or '\0')
        {
            yield return $"{key}:Separator cannot be a quote, a line break or NUL.";
        }

        if (!Enum.IsDefined(Format))
        {
            yield return $"{key}:Format must be Csv or JsonLines.";
        }
    }
}
