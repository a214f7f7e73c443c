using System.Globalization;
using System.Text.RegularExpressions;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// Reads a duration given in a query string in the product's one syntax: a number with a unit of ms, s,
/// m, h or d (<c>500ms</c>, <c>1s</c>, <c>1.5m</c>, <c>10m</c>), or the clock form (<c>00:00:01</c>),
/// or <c>0</c>. A bare number other than 0 is refused: its unit would be a guess.
/// </summary>
internal static partial class QueryDuration
{
    /// <summary>The forms, for error messages.</summary>
    public const string Forms = "a duration such as 500ms, 1s, 10m or 00:00:01";

    /// <summary>Parses a non-negative duration.</summary>
    /// <param name="text">The text.</param>
    /// <param name="duration">The duration, when the text is one.</param>
    /// <returns><see langword="true"/> when the text is a non-negative duration.</returns>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string s = text.Trim().ToLowerInvariant();
        if (s == "0")
        {
            return true;
        }

        Match match = NumberWithUnit().Match(s);
        if (!match.Success)
        {
            // Only the clock form: TimeSpan would read a bare "5" as five days.
            return s.Contains(':', StringComparison.Ordinal)
                && TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out duration)
                && duration >= TimeSpan.Zero;
        }

        double value = double.Parse(match.Groups["value"].ValueSpan, NumberStyles.Float, CultureInfo.InvariantCulture);
        double seconds = value * match.Groups["unit"].Value switch
        {
            "ms" => 0.001,
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            _ => 86400,
        };
        if (!(seconds >= 0) || seconds > TimeSpan.MaxValue.TotalSeconds)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }

    [GeneratedRegex(@"^(?<value>[0-9]+(\.[0-9]+)?)\s*(?<unit>ms|s|m|h|d)$", RegexOptions.CultureInvariant)]
    private static partial Regex NumberWithUnit();
}
