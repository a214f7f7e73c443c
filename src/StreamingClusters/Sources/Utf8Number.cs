using System.Globalization;
using System.Text;
using csFastFloat;

namespace StreamingClusters.Sources;

/// <summary>What parsing one value found.</summary>
internal enum NumberStatus
{
    /// <summary>A number (NaN and infinity included: the validator names them).</summary>
    Number,

    /// <summary>Not a number.</summary>
    NotANumber,

    /// <summary>A number too large for a float.</summary>
    OutOfRange,
}

/// <summary>
/// Parses one value from UTF-8 text with csFastFloat (about twice as fast as <see cref="float.TryParse(ReadOnlySpan{byte}, NumberStyles, IFormatProvider, out float)"/>),
/// and says in words why a value is refused.
/// </summary>
internal static class Utf8Number
{
    private const int MaxShownBytes = 40;

    /// <summary>Parses the whole of <paramref name="text"/> as a float.</summary>
    /// <param name="text">The value, blanks and quotes already removed.</param>
    /// <param name="value">The value; NaN and ±∞ for their spellings (nan, inf, infinity, any case, signed).</param>
    /// <returns>Whether it is a number.</returns>
    public static NumberStatus Parse(ReadOnlySpan<byte> text, out float value)
    {
        // csFastFloat also accepts a number followed by other text, so the whole text must be consumed.
        if (FastFloatParser.TryParseFloat(text, out int consumed, out value) && consumed == text.Length && consumed > 0)
        {
            return float.IsInfinity(value) ? NumberStatus.OutOfRange : NumberStatus.Number;
        }

        // Its NaN and infinity spellings consume nothing and leave out "-infinity": read them here.
        return TryParseSpecial(text, out value) ? NumberStatus.Number : NumberStatus.NotANumber;
    }

    /// <summary>Says why value <paramref name="number"/> is refused.</summary>
    /// <param name="status">What parsing found: <see cref="NumberStatus.NotANumber"/> or <see cref="NumberStatus.OutOfRange"/>.</param>
    /// <param name="number">The value's position in the point, from 0 (as --columns counts columns).</param>
    /// <param name="text">The value's text.</param>
    /// <returns>The reason.</returns>
    public static string Describe(NumberStatus status, int number, ReadOnlySpan<byte> text)
    {
        Debug.Assert(status != NumberStatus.Number);
        return text.IsEmpty ? string.Create(CultureInfo.InvariantCulture, $"value {number} (zero-based) is empty")
            : status == NumberStatus.OutOfRange ? string.Create(CultureInfo.InvariantCulture, $"value {number} (zero-based) '{Show(text)}' is out of the range of a float")
            : string.Create(CultureInfo.InvariantCulture, $"value {number} (zero-based) '{Show(text)}' is not a number");
    }

    /// <summary>Decodes <paramref name="text"/> for a message, cut to a few dozen bytes.</summary>
    /// <param name="text">UTF-8 text.</param>
    /// <returns>The text, with … where it was cut.</returns>
    public static string Show(ReadOnlySpan<byte> text) =>
        text.Length <= MaxShownBytes ? Encoding.UTF8.GetString(text) : Encoding.UTF8.GetString(text[..MaxShownBytes]) + "…";

    private static bool TryParseSpecial(ReadOnlySpan<byte> text, out float value)
    {
        bool negative = false;
        if (!text.IsEmpty && text[0] is (byte)'+' or (byte)'-')
        {
            negative = text[0] == (byte)'-';
            text = text[1..];
        }

        if (Ascii.EqualsIgnoreCase(text, "nan"u8))
        {
            value = float.NaN;
            return true;
        }

        if (Ascii.EqualsIgnoreCase(text, "inf"u8) || Ascii.EqualsIgnoreCase(text, "infinity"u8))
        {
            value = negative ? float.NegativeInfinity : float.PositiveInfinity;
            return true;
        }

        value = 0;
        return false;
    }
}
