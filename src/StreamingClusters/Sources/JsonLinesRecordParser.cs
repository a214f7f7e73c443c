using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StreamingClusters.Sources;

/// <summary>
/// Reads one JSON line as a point with <see cref="Utf8JsonReader"/> over the line's bytes (no DOM):
/// an object's configured fields in their configured order, or, with none configured, every numeric
/// top-level field in document order; or a bare array of numbers. A string holding a number (<c>"1.5"</c>)
/// is read as that number where a value is expected by name or position.
/// </summary>
internal sealed class JsonLinesRecordParser : RecordParser
{
    private const int MaxNumberStringLength = 64;
    private readonly string[] _fields;
    private readonly byte[][] _utf8Fields;
    private readonly bool[] _seen;
    private float[] _values;
    private int _count;

    /// <summary>Creates a parser.</summary>
    /// <param name="fields">The top-level fields that make a point, in order; empty for every numeric field.</param>
    public JsonLinesRecordParser(IEnumerable<string> fields)
    {
        _fields = [.. fields];
        _utf8Fields = [.. _fields.Select(Encoding.UTF8.GetBytes)];
        _seen = new bool[_fields.Length];
        _values = new float[Math.Max(16, _fields.Length)];
    }

    /// <inheritdoc/>
    public override ReadOnlySpan<float> Values => _values.AsSpan(0, _count);

    /// <inheritdoc/>
    public override IReadOnlyList<string>? ColumnNames => _fields.Length > 0 ? _fields : null;

    /// <inheritdoc/>
    public override string? Parse(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        try
        {
            reader.Read();
            string? problem = reader.TokenType switch
            {
                JsonTokenType.StartObject when _fields.Length == 0 => ReadNumericFields(ref reader),
                JsonTokenType.StartObject => ReadNamedFields(ref reader),
                JsonTokenType.StartArray when _fields.Length == 0 => ReadArray(ref reader),
                JsonTokenType.StartArray => "an array, but the source's Columns name fields of an object",
                _ => "not a JSON object or array",
            };

            // Past the value only blanks may follow: Read throws on anything else.
            return problem is null && reader.Read() ? "more than one JSON value on the line" : problem;
        }
        catch (JsonException e)
        {
            return "not valid JSON: " + e.Message;
        }
    }

    private string? ReadNumericFields(ref Utf8JsonReader reader)
    {
        int count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.Number)
            {
                Grow(count + 1);
                NumberStatus status = Utf8Number.Parse(reader.ValueSpan, out _values[count]);
                if (status != NumberStatus.Number)
                {
                    return Utf8Number.Describe(status, count, reader.ValueSpan);
                }

                count++;
            }
            else
            {
                reader.Skip();
            }
        }

        _count = count;
        return null;
    }

    private string? ReadNamedFields(ref Utf8JsonReader reader)
    {
        Array.Clear(_seen);
        int expected = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int k = Match(ref reader, expected);
            reader.Read();
            if (k < 0)
            {
                reader.Skip();
                continue;
            }

            if (_seen[k])
            {
                return $"field '{_fields[k]}' appears twice";
            }

            _seen[k] = true;
            expected = k + 1;
            if (ReadValue(ref reader, k) is { } problem)
            {
                return $"{problem} (field '{_fields[k]}')";
            }
        }

        int missing = Array.IndexOf(_seen, false);
        if (missing >= 0)
        {
            return $"field '{_fields[missing]}' is missing";
        }

        _count = _fields.Length;
        return null;
    }

    private string? ReadArray(ref Utf8JsonReader reader)
    {
        int count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            Grow(count + 1);
            if (ReadValue(ref reader, count) is { } problem)
            {
                return problem;
            }

            count++;
        }

        _count = count;
        return null;
    }

    /// <summary>Reads the current value, a number or a string holding one, into value <paramref name="slot"/>.</summary>
    private string? ReadValue(ref Utf8JsonReader reader, int slot)
    {
        Span<byte> unescaped = stackalloc byte[MaxNumberStringLength];
        scoped ReadOnlySpan<byte> text;
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                text = reader.ValueSpan;
                break;
            case JsonTokenType.String when !reader.ValueIsEscaped:
                text = reader.ValueSpan.Trim(" \t"u8);
                break;
            case JsonTokenType.String when reader.ValueSpan.Length <= MaxNumberStringLength:
                if (!TryUnescape(ref reader, unescaped, out int length))
                {
                    return Utf8Number.Describe(NumberStatus.NotANumber, slot, reader.ValueSpan);
                }

                text = unescaped[..length].Trim(" \t"u8);
                break;
            case JsonTokenType.String:
                return Utf8Number.Describe(NumberStatus.NotANumber, slot, reader.ValueSpan);
            default:
                return string.Create(CultureInfo.InvariantCulture, $"value {slot} (zero-based) is {Kind(reader.TokenType)}, not a number");
        }

        NumberStatus status = Utf8Number.Parse(text, out _values[slot]);
        return status == NumberStatus.Number ? null : Utf8Number.Describe(status, slot, text);
    }

    /// <summary>Unescapes the current string; a lone surrogate escape (<c>"\uD800"</c>) is valid JSON but no text.</summary>
    private static bool TryUnescape(ref Utf8JsonReader reader, scoped Span<byte> destination, out int length)
    {
        try
        {
            length = reader.CopyString(destination);
            return true;
        }
        catch (InvalidOperationException)
        {
            length = 0;
            return false;
        }
    }

    private int Match(ref Utf8JsonReader reader, int expected)
    {
        try
        {
            return MatchName(ref reader, expected);
        }
        catch (InvalidOperationException)
        {
            // An escaped name holding a lone surrogate ("\uD800") is no text, so none of the configured names.
            return -1;
        }
    }

    private int MatchName(ref Utf8JsonReader reader, int expected)
    {
        // Fields usually come in the configured order: try the next one first.
        if (expected < _utf8Fields.Length && reader.ValueTextEquals(_utf8Fields[expected]))
        {
            return expected;
        }

        for (int k = 0; k < _utf8Fields.Length; k++)
        {
            if (k != expected && reader.ValueTextEquals(_utf8Fields[k]))
            {
                return k;
            }
        }

        return -1;
    }

    private void Grow(int count)
    {
        if (_values.Length < count)
        {
            Array.Resize(ref _values, Math.Max(count, 2 * _values.Length));
        }
    }

    private static string Kind(JsonTokenType token) => token switch
    {
        JsonTokenType.Null => "null",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => token.ToString(),
    };
}
