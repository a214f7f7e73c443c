using System.Globalization;
using System.Text.Json;

namespace StreamingClusters.Models;

/// <summary>
/// A model's own settings: configuration keys below the model's section (<c>Clusters</c>,
/// <c>Seeding:BufferSize</c>, <c>InitialCentroids:0:1</c>) with their values, layered over the top-level
/// <c>StreamingClusters</c> settings. Plain data: two models have the same settings when they have the
/// same keys (in any case) with the same values.
/// </summary>
public sealed class ModelOverrides : IEquatable<ModelOverrides>
{
    /// <summary>
    /// The settings a model may have of its own: those of the model, its batching and its ingest. Sources,
    /// checkpoint, dead-letter and snapshot paths are the service's, and each model's are derived from them.
    /// </summary>
    public static readonly IReadOnlyList<string> Keys =
    [
        "Clusters", "Dimensions", "BatchSize", "BatchTimeout", "HalfLife", "Scaling", "Model", "Mixture", "Seed",
        "ReseedRatio", "Repair", "Seeding", "InitialCentroids", "Parallelism", "ShardSize", "BlockSize",
        "ChannelCapacity", "MaxRecordLength", "MaxAbsoluteValue",
    ];

    private readonly SortedDictionary<string, string?> _values;

    /// <summary>Creates settings from configuration keys and values.</summary>
    /// <param name="values">The keys, below the model's section, and their values.</param>
    /// <exception cref="ArgumentException">A key is given twice (in any case).</exception>
    public ModelOverrides(IEnumerable<KeyValuePair<string, string?>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = new SortedDictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach ((string key, string? value) in values)
        {
            if (!_values.TryAdd(key, value))
            {
                throw new ArgumentException($"The setting '{key}' is given twice.", nameof(values));
            }
        }
    }

    /// <summary>Gets settings that change nothing: the model has the top-level settings.</summary>
    public static ModelOverrides Empty { get; } = new([]);

    /// <summary>Gets the keys and values, ordered by key.</summary>
    public IReadOnlyDictionary<string, string?> Values => _values;

    /// <summary>
    /// Reads settings from a JSON object with the keys of the <c>StreamingClusters</c> section
    /// (<c>{"Clusters": 4, "Seeding": {"BufferSize": 500}}</c>): objects and arrays become the keys below
    /// them, as the configuration's JSON files do.
    /// </summary>
    /// <param name="utf8Json">The JSON.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="FormatException">The text is not a JSON object, or gives a key twice.</exception>
    public static ModelOverrides FromJson(ReadOnlySpan<byte> utf8Json)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The settings are not JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"The settings must be a JSON object of settings, not {document.RootElement.ValueKind.ToString().ToLowerInvariant()}.");
            }

            var values = new List<KeyValuePair<string, string?>>();
            Flatten(document.RootElement, null, values);
            try
            {
                return new ModelOverrides(values);
            }
            catch (ArgumentException ex)
            {
                throw new FormatException(ex.Message, ex);
            }
        }
    }

    /// <summary>Writes the settings as a flat JSON object of their keys, which <see cref="FromJson"/> reads back.</summary>
    /// <returns>The JSON, UTF-8.</returns>
    public byte[] ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            foreach ((string key, string? value) in _values)
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>Says which keys are not settings a model may have of its own (<see cref="Keys"/>).</summary>
    /// <param name="section">The section the keys are reported under (<c>StreamingClusters:Models:plant-7</c>).</param>
    /// <returns>One message per such key, naming it.</returns>
    public IEnumerable<string> Problems(string section)
    {
        foreach (string key in _values.Keys)
        {
            string head = key.Split(':', 2)[0];
            if (!Keys.Contains(head, StringComparer.OrdinalIgnoreCase))
            {
                yield return $"{section}:{key} is not a setting a model has of its own: give {string.Join(", ", Keys)}.";
            }
        }
    }

    /// <inheritdoc/>
    public bool Equals(ModelOverrides? other) =>
        other is not null
        && other._values.Count == _values.Count
        && _values.All(p => other._values.TryGetValue(p.Key, out string? v) && string.Equals(v, p.Value, StringComparison.Ordinal));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ModelOverrides);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach ((string key, string? value) in _values)
        {
            hash.Add(key, StringComparer.OrdinalIgnoreCase);
            hash.Add(value, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join(", ", _values.Select(p => $"{p.Key}={p.Value}"));

    private static void Flatten(JsonElement element, string? prefix, List<KeyValuePair<string, string?>> values)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    Flatten(property.Value, prefix is null ? property.Name : $"{prefix}:{property.Name}", values);
                }

                break;
            case JsonValueKind.Array:
                int index = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    Flatten(item, $"{prefix}:{index.ToString(CultureInfo.InvariantCulture)}", values);
                    index++;
                }

                break;
            case JsonValueKind.String:
                values.Add(new(prefix!, element.GetString()));
                break;
            case JsonValueKind.Number:
                values.Add(new(prefix!, element.GetRawText()));
                break;
            case JsonValueKind.True:
                values.Add(new(prefix!, "true"));
                break;
            case JsonValueKind.False:
                values.Add(new(prefix!, "false"));
                break;
            default:
                values.Add(new(prefix!, null));
                break;
        }
    }
}
