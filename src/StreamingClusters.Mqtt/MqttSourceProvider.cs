using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using StreamingClusters.Options;
using StreamingClusters.Sources;

namespace StreamingClusters.Mqtt;

/// <summary>
/// Creates the MQTT sources (<c>Kind</c> <c>Mqtt</c>) from their configuration, and when the host is
/// disposed — after the pipeline has drained and written its final checkpoint — sends their last
/// acknowledgements and leaves the broker, keeping the sessions.
/// </summary>
internal sealed class MqttSourceProvider : IPointSourceProvider, IAsyncDisposable, IDisposable
{
    private readonly IConfiguration _section;
    private readonly MqttStatus _status;
    private readonly ILoggerFactory _loggers;
    private readonly TimeProvider _time;
    private readonly List<MqttSource> _sources = [];

    public MqttSourceProvider(IConfiguration section, MqttStatus status, ILoggerFactory loggers, TimeProvider time)
    {
        _section = section;
        _status = status;
        _loggers = loggers;
        _time = time;
    }

    public SourceKind Kind => SourceKind.Mqtt;

    /// <summary>Reads the MQTT settings of the source at <paramref name="index"/>.</summary>
    /// <param name="section">The <c>StreamingClusters</c> section.</param>
    /// <param name="index">The source's position.</param>
    /// <returns>The settings.</returns>
    public static MqttSourceOptions Settings(IConfiguration section, int index) =>
        DurationConfiguration.Normalise(section, MqttDurations.StreamingClustersKeys)
            .GetSection(string.Create(CultureInfo.InvariantCulture, $"Sources:{index}"))
            .Get<MqttSourceOptions>() ?? new MqttSourceOptions();

    /// <summary>Gets an MQTT source's format: JSON unless <c>Format</c> is set (a file source's default is CSV).</summary>
    /// <param name="section">The <c>StreamingClusters</c> section.</param>
    /// <param name="source">The source's common settings.</param>
    /// <param name="index">The source's position.</param>
    /// <returns>The format.</returns>
    public static RecordFormat FormatOf(IConfiguration section, SourceOptions source, int index) =>
        section[string.Create(CultureInfo.InvariantCulture, $"Sources:{index}:Format")] is null && source.Format == RecordFormat.Csv ? RecordFormat.Json : source.Format;

    public IPointSource Create(SourceOptions source, int index, StreamingClustersOptions options)
    {
        MqttSourceOptions settings = Settings(_section, index);
        string key = string.Create(CultureInfo.InvariantCulture, $"StreamingClusters:Sources:{index}");
        if (settings.Problems(index).FirstOrDefault() is { } problem)
        {
            throw new ArgumentException(problem, nameof(source));
        }

        // A message's CSV lines have no header: columns are zero-based indexes.
        RecordFormat recordFormat = FormatOf(_section, source, index);
        SourceOptions format = new() { Format = recordFormat, Columns = source.Columns, Separator = source.Separator, HasHeader = false };
        RecordParser parser = PointSourceFactory.ParserFor(format, key)();
        string name = source.EffectiveName(index);
        var created = new MqttSource(name, settings, parser, recordFormat, options.MaxRecordLength, (float)options.MaxAbsoluteValue, _status.Add(name, settings.DisplayBroker), _loggers.CreateLogger<MqttSource>(), _time);
        lock (_sources)
        {
            _sources.Add(created);
        }

        return created;
    }

    public async ValueTask DisposeAsync()
    {
        MqttSource[] sources;
        lock (_sources)
        {
            sources = [.. _sources];
            _sources.Clear();
        }

        foreach (MqttSource source in sources)
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
