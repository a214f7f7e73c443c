using System.Globalization;

namespace StreamingClusters.Sources;

/// <summary>
/// Splits one CSV line into fields, in place: fields are separated by the separator, blanks (spaces,
/// tabs) around a field are ignored, and a field in double quotes may hold separators and doubled
/// quotes. A record is one line: a quoted field cannot span lines. The bounds of the fields go in a
/// reused array, so splitting allocates nothing once the array has grown to the widest line.
/// </summary>
internal sealed class CsvFieldSplitter
{
    private readonly byte _separator;

    /// <summary>Start and length of each field of the line last split, in pairs.</summary>
    private int[] _bounds = new int[2 * 32];

    /// <summary>Creates a splitter.</summary>
    /// <param name="separator">The separator, an ASCII character other than a quote or a line break.</param>
    public CsvFieldSplitter(byte separator)
    {
        Debug.Assert(separator is < 0x80 and not (byte)'"' and not (byte)'\n' and not (byte)'\r');
        _separator = separator;
    }

    /// <summary>Gets the number of fields of the line last split.</summary>
    public int Count { get; private set; }

    /// <summary>Gets a field of the line last split: its text without blanks around it or its quotes.</summary>
    /// <param name="line">The line that was split.</param>
    /// <param name="index">The field's index, from 0.</param>
    /// <returns>The field's text; doubled quotes inside a quoted field stay doubled.</returns>
    public ReadOnlySpan<byte> Field(ReadOnlySpan<byte> line, int index)
    {
        Debug.Assert(index < Count);
        return line.Slice(_bounds[2 * index], _bounds[(2 * index) + 1]);
    }

    /// <summary>Splits a line into fields.</summary>
    /// <param name="line">The line, without its terminator.</param>
    /// <returns><see langword="null"/>, or why the line cannot be split (a quote that does not close).</returns>
    public string? Split(ReadOnlySpan<byte> line)
    {
        Count = 0;
        int i = 0;
        while (true)
        {
            int start = SkipBlanks(line, i);
            if (start < line.Length && line[start] == (byte)'"')
            {
                int close = ClosingQuote(line, start + 1);
                if (close < 0)
                {
                    return string.Create(CultureInfo.InvariantCulture, $"field {Count + 1} has a quote that does not close");
                }

                Add(start + 1, close - start - 1);
                int after = SkipBlanks(line, close + 1);
                if (after == line.Length)
                {
                    return null;
                }

                if (line[after] != _separator)
                {
                    return string.Create(CultureInfo.InvariantCulture, $"field {Count} has text after its closing quote");
                }

                i = after + 1;
            }
            else
            {
                int separator = line[i..].IndexOf(_separator);
                int stop = separator < 0 ? line.Length : i + separator;
                int end = stop;
                while (end > start && IsBlank(line[end - 1]))
                {
                    end--;
                }

                Add(start, Math.Max(0, end - start));
                if (separator < 0)
                {
                    return null;
                }

                i = stop + 1;
            }
        }
    }

    private static int ClosingQuote(ReadOnlySpan<byte> line, int from)
    {
        int j = from;
        while (true)
        {
            int quote = line[j..].IndexOf((byte)'"');
            if (quote < 0)
            {
                return -1;
            }

            j += quote;
            if (j + 1 < line.Length && line[j + 1] == (byte)'"')
            {
                j += 2; // a doubled quote stands for one quote in the field
                continue;
            }

            return j;
        }
    }

    private int SkipBlanks(ReadOnlySpan<byte> line, int i)
    {
        while (i < line.Length && IsBlank(line[i]))
        {
            i++;
        }

        return i;
    }

    private bool IsBlank(byte b) => b is (byte)' ' or (byte)'\t' && b != _separator;

    private void Add(int start, int length)
    {
        if (2 * Count == _bounds.Length)
        {
            Array.Resize(ref _bounds, _bounds.Length * 2);
        }

        _bounds[2 * Count] = start;
        _bounds[(2 * Count) + 1] = length;
        Count++;
    }
}
