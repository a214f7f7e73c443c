using System.Globalization;
using System.Text;

namespace StreamingClusters.MalformedInput;

/// <summary>The line format a generator writes.</summary>
internal enum InputFormat
{
    /// <summary>CSV with the separator ',' and the columns x0, x1, …</summary>
    Csv,

    /// <summary>JSON lines: objects with numeric fields x0, x1, …, or bare arrays of numbers.</summary>
    JsonLines,
}

/// <summary>What the product must do with a generated record, decided by the generator without the product's parsers.</summary>
internal enum Verdict
{
    /// <summary>It is a point of the configured dimension: applied.</summary>
    Accept,

    /// <summary>It cannot be a point: rejected with a reason and dead-lettered.</summary>
    Reject,

    /// <summary>Random damage whose outcome the generator does not predict: either, but counted once.</summary>
    Unknown,
}

/// <summary>One generated record: its bytes (no line feed inside, never blank) and what must become of it.</summary>
/// <param name="Bytes">The record's bytes, without its terminator.</param>
/// <param name="Verdict">The expected outcome.</param>
/// <param name="Kind">The mutation that made it, for reports.</param>
internal readonly record struct GeneratedRecord(byte[] Bytes, Verdict Verdict, string Kind);

/// <summary>
/// A seeded generator of good and damaged records for the line parsers: truncated numbers, huge
/// exponents, NaN and infinity spellings, wrong value counts, invalid UTF-8, too-long lines, stray
/// byte-order marks, lone CRs, quotes, broken JSON, random bytes. Each record comes with its verdict,
/// derived from the documented rules (README "Input and bad records"), not from the product's code.
/// The same seed gives the same records.
/// </summary>
internal sealed class MalformedRecordGenerator
{
    private static readonly string[] NotNumbers =
    [
        "1.5e", "1.5e+", "-", "+", ".", "e5", "1e+-5", "--1", "1..2", "0x1A", "1_000", "\uFF11", "1.5.5", "12a", "a12",
        "- 1", "1 2", "nan(1)", "infinit", "\u221E", "-\u221E", "NaNa", "in f", "true", "null", "1e", "E", ".e1", "+-0",
        "1\u00A02", "\u0661", "0b101", "$1", "1%", "1/2",
    ];

    private static readonly string[] NanOrInfinity =
    [
        "NaN", "nan", "-nan", "+NaN", "NAN", "inf", "-inf", "+inf", "Infinity", "-Infinity", "-INFINITY", "+Inf", "iNfInItY",
    ];

    private static readonly string[] OutOfRange =
    [
        "1e39", "3.5e38", "-1e300", "1e99999", "1e16", "-9.9e15", "1.1e15", "340282356779733661637539395458142568448", "1e4294967296",
    ];

    private static readonly string[] OddButNumbers = ["1.", ".5", "+1", "1E5", "1e-5", "007", "-0", "0.000", "1e-50", "-1e-99999", "1e15", "+.25", "5E+0"];

    private static readonly byte[][] InvalidUtf8 =
    [
        [0xFF], [0xFE], [0xC0, 0x80], [0x80], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC3],
    ];

    private const int ObjectShape = 0;
    private const int ObjectWithOthersShape = 1;
    private const int ArrayShape = 2;

    private readonly Random _random;
    private readonly InputFormat _format;
    private readonly int _dimensions;
    private readonly int _maxRecordLength;
    private readonly double _damagedShare;

    /// <summary>Creates a generator.</summary>
    /// <param name="format">The format.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="dimensions">The dimension of a good record.</param>
    /// <param name="maxRecordLength">The product's MaxRecordLength: longer lines must be rejected, this long ones not.</param>
    /// <param name="damagedShare">The share of damaged records.</param>
    public MalformedRecordGenerator(InputFormat format, int seed, int dimensions, int maxRecordLength, double damagedShare = 0.5)
    {
        _random = new Random(seed);
        _format = format;
        _dimensions = dimensions;
        _maxRecordLength = maxRecordLength;
        _damagedShare = damagedShare;
    }

    /// <summary>Gets the format.</summary>
    public InputFormat Format => _format;

    /// <summary>Gets the random generator, for the layout of documents built from these records.</summary>
    public Random Random => _random;

    /// <summary>Gets a CSV header naming the columns x0, x1, …</summary>
    public byte[] Header => Encoding.UTF8.GetBytes(string.Join(',', Enumerable.Range(0, _dimensions).Select(j => $"x{j}")));

    /// <summary>Makes the next record: good or damaged.</summary>
    /// <returns>The record.</returns>
    public GeneratedRecord Next() => _random.NextDouble() < _damagedShare ? Damaged() : Good();

    /// <summary>Makes a good record.</summary>
    /// <returns>The record.</returns>
    public GeneratedRecord Good() => new(Join(GoodValues(_dimensions), Shape()), Verdict.Accept, "good");

    private GeneratedRecord Damaged()
    {
        switch (_random.Next(17))
        {
            case 0:
                return Replace(Pick(NotNumbers), "not-a-number");
            case 1:
                return Replace(Pick(NanOrInfinity), "nan-or-infinity");
            case 2:
                return Replace(Pick(OutOfRange), "out-of-range");
            case 3:
                return new(Join(GoodValues(_dimensions + (_random.Next(2) == 0 ? -1 : 1 + _random.Next(3))), Shape()), Verdict.Reject, "wrong-count");
            case 4:
                return new(Insert(Good().Bytes, Pick(InvalidUtf8)), Verdict.Reject, "invalid-utf8");
            case 5:
                return TooLong();
            case 6:
                return Longest();
            case 7:
                // A byte-order mark anywhere but at the start of the stream is a character like any other
                // (inside a JSON string it would be harmless: put it before the value there).
                return new(Insert(Good().Bytes, [0xEF, 0xBB, 0xBF], atStart: _format == InputFormat.JsonLines || _random.Next(2) == 0), Verdict.Reject, "inner-bom");
            case 8:
                // A lone CR is not a line break: two records joined by one are one bad record.
                return new([.. Good().Bytes, (byte)'\r', .. Good().Bytes], Verdict.Reject, "lone-cr");
            case 9:
                // A CR left before CR LF: blank to JSON, part of the last field to CSV.
                return new([.. Good().Bytes, (byte)'\r'], _format == InputFormat.Csv ? Verdict.Reject : Verdict.Accept, "extra-cr");
            case 10:
                return _format == InputFormat.Csv ? BadQuotes() : BadJson();
            case 11:
                return new(Insert(Good().Bytes, [(byte)_random.Next(0, 9)]), Verdict.Reject, "control-byte");
            case 12:
                return Replace(Pick(OddButNumbers), "odd-number", Verdict.Accept);
            case 13:
            case 14:
                return new(NotBlank(RandomBytes(1 + _random.Next(_random.Next(2) == 0 ? 16 : 200))), Verdict.Unknown, "random-bytes");
            default:
                return new(NotBlank(Flip(Good().Bytes)), Verdict.Unknown, "flipped-bytes");
        }
    }

    private GeneratedRecord Replace(string value, string kind, Verdict verdict = Verdict.Reject)
    {
        string[] values = GoodValues(_dimensions);
        int at = _random.Next(_dimensions);
        int shape = Shape();
        if (_format == InputFormat.Csv)
        {
            // Quoted, or bare: either way the field's text is the value.
            values[at] = _random.Next(4) == 0 ? $"\"{value}\"" : value;
        }
        else if (verdict == Verdict.Accept || _random.Next(2) == 0)
        {
            // A string holding a number is read as the number by position (an array); an object's
            // fields are read only when they are JSON numbers. Outside a string most of these are not JSON at all.
            values[at] = JsonString(value);
            shape = verdict == Verdict.Accept ? ArrayShape : shape;
        }
        else
        {
            values[at] = value;
        }

        return new(Join(values, shape), verdict, kind);
    }

    /// <summary>A good record just over the limit.</summary>
    private GeneratedRecord TooLong()
    {
        int length = _maxRecordLength + 1 + (_random.Next(8) == 0 ? _random.Next(4 * _maxRecordLength) : _random.Next(16));
        return new(PadTo(length), Verdict.Reject, "too-long");
    }

    /// <summary>A good record exactly at the limit: parsed like any other.</summary>
    private GeneratedRecord Longest() => new(PadTo(_maxRecordLength), Verdict.Accept, "longest");

    /// <summary>A good record made exactly <paramref name="length"/> bytes long by trailing zeros after the first value's decimal point.</summary>
    private byte[] PadTo(int length)
    {
        string[] values = GoodValues(_dimensions);
        values[0] = "1.5";
        byte[] bare = Join(values, Shape());
        if (length < bare.Length)
        {
            return bare[..length];
        }

        // The first "1.5" is the first value: nothing before it in a record has a '.'.
        int at = bare.AsSpan().IndexOf("1.5"u8) + 3;
        return [.. bare.AsSpan(0, at), .. Enumerable.Repeat((byte)'0', length - bare.Length), .. bare.AsSpan(at)];
    }

    private GeneratedRecord BadQuotes()
    {
        string[] values = GoodValues(_dimensions);
        int at = _random.Next(_dimensions);
        string value = values[at].Trim(' ', '\t', '"');
        (values[at], Verdict verdict) = _random.Next(6) switch
        {
            0 => ($"\"{value}", Verdict.Reject),
            1 => ($"\"{value}\"x", Verdict.Reject),
            2 => ($"\"1\"\"5\"", Verdict.Reject),
            3 => ($"\"1,5\"", Verdict.Reject),
            4 => ("\"\"", Verdict.Reject),
            _ => ($" \" {value} \" ", Verdict.Accept),
        };
        return new(Join(values, 0), verdict, "quotes");
    }

    private GeneratedRecord BadJson()
    {
        string[] values = GoodValues(_dimensions);
        string good = Encoding.UTF8.GetString(Join(values, ObjectShape));
        string line = _random.Next(12) switch
        {
            0 => good[..^1],
            1 => good + "}",
            2 => good + " " + good,
            3 => good.Replace("\"", "'", StringComparison.Ordinal),
            4 => good.Replace(":", "=", StringComparison.Ordinal),
            5 => new string('[', 100 + _random.Next(2000)),
            6 => "null",
            7 => "\"1.5\"",
            8 => "1.5",
            9 => good.Replace(",", ",,", StringComparison.Ordinal),

            // A lone surrogate, escaped, where a number is expected by position.
            10 => "[\"\\uD800\"," + string.Join(',', values[1..]) + "]",
            _ => "/* comment */ " + good,
        };
        return new(Encoding.UTF8.GetBytes(line), Verdict.Reject, "broken-json");
    }

    private string[] GoodValues(int count)
    {
        var values = new string[Math.Max(count, 0)];
        for (int j = 0; j < values.Length; j++)
        {
            values[j] = GoodValue();
        }

        return values;
    }

    private string GoodValue()
    {
        double magnitude = Math.Pow(10, _random.Next(-3, 7));
        float v = (float)((_random.NextDouble() * 2 - 1) * magnitude);
        string text = _random.Next(4) switch
        {
            0 => v.ToString("E3", CultureInfo.InvariantCulture),
            1 => v.ToString("F2", CultureInfo.InvariantCulture),
            _ => v.ToString("R", CultureInfo.InvariantCulture),
        };
        if (_format == InputFormat.JsonLines)
        {
            // JSON numbers have no leading '+' and no bare '.5'.
            return text;
        }

        return _random.Next(8) switch
        {
            0 => $"\"{text}\"",
            1 => $" {text}\t",
            2 when v >= 0 => "+" + text,
            _ => text,
        };
    }

    /// <summary>Picks how a JSON record holds its values: an object, an object with other fields too, or an array.</summary>
    private int Shape() => _random.Next(4) switch
    {
        0 => ArrayShape,
        1 => ObjectWithOthersShape,
        _ => ObjectShape,
    };

    private byte[] Join(string[] values, int shape)
    {
        if (_format == InputFormat.Csv)
        {
            return Encoding.UTF8.GetBytes(string.Join(',', values));
        }

        if (shape == ArrayShape)
        {
            return Encoding.UTF8.GetBytes("[" + string.Join(',', values) + "]");
        }

        var text = new StringBuilder("{");
        if (shape == ObjectWithOthersShape)
        {
            text.Append("\"id\":\"r").Append(_random.Next()).Append("\",\"tags\":[1,2,{\"a\":null}],");
        }

        for (int j = 0; j < values.Length; j++)
        {
            text.Append(j == 0 ? string.Empty : ",").Append("\"x").Append(j).Append("\":").Append(values[j]);
        }

        return Encoding.UTF8.GetBytes(text.Append('}').ToString());
    }

    private static string JsonString(string value)
    {
        var text = new StringBuilder("\"");
        foreach (char c in value)
        {
            text.Append(c is '"' or '\\' ? "\\" + c : c.ToString());
        }

        return text.Append('"').ToString();
    }

    private byte[] Insert(byte[] bytes, byte[] inserted, bool atStart = false)
    {
        int at = atStart ? 0 : _random.Next(bytes.Length + 1);
        return [.. bytes.AsSpan(0, at), .. inserted, .. bytes.AsSpan(at)];
    }

    private byte[] RandomBytes(int length)
    {
        byte[] bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    private byte[] Flip(byte[] bytes)
    {
        byte[] copy = [.. bytes];
        for (int k = 1 + _random.Next(3); k > 0; k--)
        {
            copy[_random.Next(copy.Length)] = (byte)_random.Next(256);
        }

        return copy;
    }

    /// <summary>No line feed inside, and not blank (spaces and tabs only, once a final CR is taken as part of CR LF).</summary>
    private static byte[] NotBlank(byte[] bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                bytes[i] = (byte)'#';
            }
        }

        ReadOnlySpan<byte> text = bytes.AsSpan();
        if (text.EndsWith("\r"u8))
        {
            text = text[..^1];
        }

        return text.IndexOfAnyExcept((byte)' ', (byte)'\t') < 0 ? [(byte)'#', .. bytes] : bytes;
    }

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];
}
