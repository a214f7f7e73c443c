using System.Buffers;
using System.Globalization;
using System.Text;

namespace StreamingClusters.Sources;

/// <summary>
/// Reads one CSV line as a point: every field, or the configured columns (by header name or
/// zero-based index) in their configured order. The header is optional; when not configured, a
/// first line that is not all numbers is a header. With a header, a line must have as many fields
/// as the header; without one, it must at least reach the last configured column, and the ingest's
/// dimension check catches the rest.
/// </summary>
internal sealed class CsvRecordParser : RecordParser
{
    private readonly CsvFieldSplitter _splitter;
    private readonly bool? _hasHeader;
    private readonly string[] _columns;
    private readonly string _setting;
    private readonly byte _separator;

    /// <summary>Whether the separator cannot be part of a number or a blank, so <see cref="TryParsePlain"/> may read lines.</summary>
    private readonly bool _plainSeparator;
    /// <summary>The characters of a plain number: what <see cref="TryParsePlain"/> reads without <see cref="Parse"/>.</summary>
    private static readonly SearchValues<byte> NumberCharacters = SearchValues.Create("0123456789+-.eE"u8);

    private float[] _values = new float[16];
    private int _count;

    /// <summary>The number of fields in the header, or −1 without a header.</summary>
    private int _headerFields = -1;

    /// <summary>The field index of each value, or null when every field is a value.</summary>
    private int[]? _selected;

    /// <summary>The fields a line needs to reach the last selected column.</summary>
    private int _minFields;

    /// <summary>The header's names of the values a record gives, once a header has been read.</summary>
    private string[]? _names;

    /// <summary>Creates a parser.</summary>
    /// <param name="separator">The separator (ASCII).</param>
    /// <param name="hasHeader">Whether the first line is a header; null detects it.</param>
    /// <param name="columns">The columns that make a point: header names or zero-based indexes; empty for every field.</param>
    /// <param name="setting">The source's configuration key, to name in messages (<c>StreamingClusters:Sources:0</c>).</param>
    public CsvRecordParser(byte separator, bool? hasHeader, IEnumerable<string> columns, string setting)
    {
        _splitter = new CsvFieldSplitter(separator);
        _separator = separator;
        _plainSeparator = !NumberCharacters.Contains(separator) && separator is not (byte)' ' and not (byte)'\t';
        _hasHeader = hasHeader;
        _columns = [.. columns];
        _setting = setting;
    }

    /// <inheritdoc/>
    // Read once per line from ReadyToRun callers: jitted at once so that the generic AsSpan is inlined
    // rather than called in its unoptimised first-tier form for most of a short run.
    public override ReadOnlySpan<float> Values
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        get => _values.AsSpan(0, _count);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<string>? ColumnNames => _names;

    /// <inheritdoc/>
    public override bool TryReadHeader(ReadOnlySpan<byte> line)
    {
        // Detected, a header is a line that splits into fields not all numbers: one that cannot be split
        // is a damaged record, rejected as such, rather than a header that would stop the source.
        bool isHeader = _hasHeader ?? (_splitter.Split(line) is null && !IsAllNumbers(line));
        if (!isHeader)
        {
            Select(names: null);
            return false;
        }

        if (_splitter.Split(line) is { } problem)
        {
            throw new InvalidDataException($"The header of the source {_setting} cannot be read: {problem}.");
        }

        var names = new string[_splitter.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = Encoding.UTF8.GetString(_splitter.Field(line, i)).Replace("\"\"", "\"", StringComparison.Ordinal);
        }

        _headerFields = names.Length;
        Select(names);
        _names = _selected is null ? names : [.. _selected.Select(i => names[i])];
        return true;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A line of plain numbers and separators only (no blanks, quotes or other text), every field a
    /// value: read in one pass, each number straight into the values. Any other line, or a field count
    /// <see cref="Parse"/> would refuse, is left to <see cref="Parse"/>.
    /// </remarks>
    // Jitted fully optimised for this machine at first call rather than kept in ReadyToRun code: it is the
    // hot loop of a CSV file's reading, and the precompiled form (baseline instruction set, no inlining
    // from other assemblies) stayed in use for much of a short run.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override bool TryParsePlain(ReadOnlySpan<byte> line)
    {
        if (!_plainSeparator || _selected is not null || line.IsEmpty)
        {
            return false;
        }

        float[] values = _values;
        int count = 0;
        int position = 0;
        while (true)
        {
            if (count == values.Length)
            {
                values = _values = new float[2 * values.Length];
            }

            int at = position;
            float value;
            if (!PlainDecimal.TryRead(line, ref at, _separator, out value))
            {
                at = ReadOther(line, position, out value);
                if (at < 0)
                {
                    return false;
                }
            }

            values[count] = value;
            position = at;
            count++;
            if (position == line.Length)
            {
                break;
            }

            position++; // past the separator
        }

        if ((_headerFields >= 0 && count != _headerFields) || count < _minFields)
        {
            return false;
        }

        _count = count;
        return true;
    }

    /// <inheritdoc/>
    public override string? Parse(ReadOnlySpan<byte> line)
    {
        if (_splitter.Split(line) is { } problem)
        {
            return problem;
        }

        int fields = _splitter.Count;
        if (_headerFields >= 0 && fields != _headerFields)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Fields(fields)} where the header has {_headerFields}");
        }

        if (fields < _minFields)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Fields(fields)} where the columns need {_minFields}");
        }

        int count = _selected?.Length ?? fields;
        if (_values.Length < count)
        {
            _values = new float[Math.Max(count, 2 * _values.Length)];
        }

        for (int v = 0; v < count; v++)
        {
            // Blanks inside quotes (" 1.5 ") are tolerated too.
            ReadOnlySpan<byte> text = _splitter.Field(line, _selected is null ? v : _selected[v]).Trim(" \t"u8);
            NumberStatus status = Utf8Number.Parse(text, out _values[v]);
            if (status != NumberStatus.Number)
            {
                return Utf8Number.Describe(status, v, text);
            }
        }

        _count = count;
        return null;
    }

    /// <summary>
    /// Reads a field of sign, digit, point and exponent characters only that <see cref="PlainDecimal"/>
    /// left (many digits, a large exponent): as <see cref="Parse"/> would, when it is a number;
    /// returns where it ended, or −1.
    /// </summary>
    private int ReadOther(ReadOnlySpan<byte> line, int position, out float value)
    {
        ReadOnlySpan<byte> rest = line[position..];
        int length = rest.IndexOfAnyExcept(NumberCharacters);
        length = length < 0 ? rest.Length : length;
        if ((length < rest.Length && rest[length] != _separator)
            || Utf8Number.Parse(rest[..length], out value) != NumberStatus.Number
            || !float.IsFinite(value))
        {
            value = 0;
            return -1;
        }

        return position + length;
    }

    private static string Fields(int count) => count == 1 ? "1 field" : string.Create(CultureInfo.InvariantCulture, $"{count} fields");

    private bool IsAllNumbers(ReadOnlySpan<byte> line)
    {
        if (_splitter.Split(line) is not null)
        {
            return false;
        }

        for (int i = 0; i < _splitter.Count; i++)
        {
            if (Utf8Number.Parse(_splitter.Field(line, i).Trim(" \t"u8), out _) == NumberStatus.NotANumber)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Resolves the configured columns against the header's names, or as indexes without a header.</summary>
    private void Select(string[]? names)
    {
        if (_columns.Length == 0)
        {
            return;
        }

        _selected = new int[_columns.Length];
        for (int k = 0; k < _columns.Length; k++)
        {
            int index = names is null ? -1 : IndexOfName(names, _columns[k]);
            if (index < 0
                && int.TryParse(_columns[k], NumberStyles.None, CultureInfo.InvariantCulture, out int number)
                && (names is null || number < names.Length))
            {
                index = number;
            }

            if (index < 0)
            {
                throw new InvalidOperationException(names is null
                    ? $"{_setting}:Columns:{k} '{_columns[k]}' is not a zero-based column index, and the source has no header to find a column by name (HasHeader is false, or the first line is all numbers)."
                    : $"{_setting}:Columns:{k} '{_columns[k]}' is neither a column of the header ({string.Join(", ", names)}) nor a column index below {names.Length}.");
            }

            _selected[k] = index;
            _minFields = Math.Max(_minFields, index + 1);
        }
    }

    private static int IndexOfName(string[] names, string column)
    {
        int exact = Array.IndexOf(names, column);
        if (exact >= 0)
        {
            return exact;
        }

        // Else a match that ignores case, when there is only one.
        int found = -1;
        for (int i = 0; i < names.Length; i++)
        {
            if (string.Equals(names[i], column, StringComparison.OrdinalIgnoreCase))
            {
                if (found >= 0)
                {
                    return -1;
                }

                found = i;
            }
        }

        return found;
    }
}
