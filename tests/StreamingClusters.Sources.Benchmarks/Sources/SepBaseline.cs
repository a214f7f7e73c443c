using csFastFloat;
using nietras.SeparatedValues;

namespace StreamingClusters.Benchmarks.Sources;

/// <summary>
/// The same CSV file read with Sep and csFastFloat into blocks of floats, as a reference for the
/// source's parse speed: no validation, no accounting, no resume positions, every field a value.
/// </summary>
internal static class SepBaseline
{
    /// <summary>Reads every row of <paramref name="path"/> (with a header) into a block of 1,024 points, reused.</summary>
    /// <returns>The rows read.</returns>
    public static long Run(string path)
    {
        using SepReader reader = Sep.Reader(o => o with { HasHeader = true }).FromFile(path);
        int d = reader.Header.ColNames.Count;
        float[] block = new float[1024 * d];
        int filled = 0;
        long rows = 0;
        foreach (SepReader.Row row in reader)
        {
            for (int c = 0; c < d; c++)
            {
                if (!FastFloatParser.TryParseFloat(row[c].Span, out int consumed, out block[(filled * d) + c]) || consumed != row[c].Span.Length)
                {
                    throw new InvalidDataException($"Row {rows + 1}, column {c + 1} is not a number.");
                }
            }

            filled = filled == 1023 ? 0 : filled + 1;
            rows++;
        }

        return rows;
    }
}
