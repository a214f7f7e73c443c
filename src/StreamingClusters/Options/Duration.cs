using System.Globalization;
using StreamingClusters.MStep;

namespace StreamingClusters.Options;

/// <summary>
/// The one duration syntax of every time setting: a number with a unit of ms, s, m, h or d
/// (<c>500ms</c>, <c>30s</c>, <c>10m</c>, <c>1.5h</c>), a clock form (<c>00:00:30</c>), or <c>0</c>.
/// The units are those of a time <see cref="HalfLife"/>, read by the same parser.
/// </summary>
internal static class Duration
{
    /// <summary>The forms, for messages.</summary>
    public const string Forms = "500ms, 30s, 10m, 2h or 00:00:30";

    /// <summary>Parses a duration.</summary>
    /// <param name="text">The text.</param>
    /// <param name="duration">The duration when the text is one.</param>
    /// <returns><see langword="true"/> when the text is a duration.</returns>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string s = text.Trim();
        if (s.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out duration);
        }

        if (IsZero(s))
        {
            return true;
        }

        // A half-life counted in time is a duration; one counted in points or batches is not.
        if (!HalfLife.TryParse(s, out HalfLife parsed) || parsed.Unit != HalfLifeUnit.Time || !parsed.Forgets
            || parsed.Value > TimeSpan.MaxValue.TotalSeconds)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(parsed.Value);
        return true;
    }

    /// <summary>Zero, with or without a unit (<c>0</c>, <c>0s</c>, <c>0ms</c>): the half-life grammar has no zero.</summary>
    private static bool IsZero(string s)
    {
        string number = s.TrimEnd('m', 's', 'h', 'd', 'M', 'S', 'H', 'D');
        bool knownUnit = s[number.Length..].ToLowerInvariant() is "" or "ms" or "s" or "m" or "h" or "d";
        return knownUnit && number.Length > 0 && number.All(c => c is '0' or '.') && number.Count(c => c == '.') <= 1 && number != ".";
    }
}
