using System.Globalization;
using System.Text.RegularExpressions;

namespace StreamingClusters.MStep;

/// <summary>The unit a <see cref="HalfLife"/> is counted in.</summary>
public enum HalfLifeUnit
{
    /// <summary>Mini-batches: a = 0.5^(1/h) per batch, whatever its size.</summary>
    Batches,

    /// <summary>Points: a = 0.5^(m/h) for a batch of m points.</summary>
    Points,

    /// <summary>Wall-clock time: a = 0.5^(Δt/h), so bursty or idle streams forget by time, not traffic.</summary>
    Time,
}

/// <summary>
/// How fast old points fade from the model. After one half-life an old point's weight in every
/// centroid it contributed to has halved. <see cref="None"/> keeps exact running means (a = 1).
/// </summary>
/// <param name="Value">The half-life in <paramref name="Unit"/> (seconds for <see cref="HalfLifeUnit.Time"/>); ∞ for none.</param>
/// <param name="Unit">What the half-life counts.</param>
public readonly partial record struct HalfLife(double Value, HalfLifeUnit Unit)
{
    /// <summary>Gets the half-life that never forgets: a = 1, exact running means.</summary>
    public static HalfLife None => new(double.PositiveInfinity, HalfLifeUnit.Batches);

    /// <summary>Gets a value indicating whether old points fade at all.</summary>
    public bool Forgets => double.IsFinite(Value);

    /// <summary>Creates a half-life counted in batches.</summary>
    /// <param name="batches">Batches until an old point's weight halves.</param>
    /// <returns>The half-life.</returns>
    public static HalfLife InBatches(double batches) => new(Positive(batches), HalfLifeUnit.Batches);

    /// <summary>Creates a half-life counted in points.</summary>
    /// <param name="points">Points until an old point's weight halves.</param>
    /// <returns>The half-life.</returns>
    public static HalfLife InPoints(double points) => new(Positive(points), HalfLifeUnit.Points);

    /// <summary>Creates a half-life in wall-clock time.</summary>
    /// <param name="time">Time until an old point's weight halves.</param>
    /// <returns>The half-life.</returns>
    public static HalfLife InTime(TimeSpan time) => new(Positive(time.TotalSeconds), HalfLifeUnit.Time);

    /// <summary>
    /// Returns the discount a ∈ (0, 1] to apply before a batch of <paramref name="points"/> points,
    /// <paramref name="elapsed"/> after the previous one.
    /// </summary>
    /// <param name="points">The number of points in the batch.</param>
    /// <param name="elapsed">The time since the previous batch was applied.</param>
    /// <returns>The factor that multiplies every weight.</returns>
    public double Discount(long points, TimeSpan elapsed)
    {
        if (!Forgets)
        {
            return 1.0;
        }

        double exponent = Unit switch
        {
            HalfLifeUnit.Batches => 1.0 / Value,
            HalfLifeUnit.Points => points / Value,
            _ => Math.Max(0.0, elapsed.TotalSeconds) / Value,
        };
        // Past about 1,074 half-lives at once (an idle night with a 30 s half-life) 0.5^x underflows
        // to 0, which the M-step refuses: the old points are as good as forgotten, so say so with the
        // smallest positive discount instead.
        return Math.Max(double.Epsilon, Math.Pow(0.5, exponent));
    }

    /// <summary>
    /// Parses a half-life: a count with its unit (<c>20000points</c>, <c>50batches</c>), a duration with
    /// a unit of ms, s, m, h or d (<c>10m</c>, <c>1.5h</c>), a <see cref="TimeSpan"/> (<c>00:10:00</c>),
    /// or <c>none</c>.
    /// </summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="halfLife">The half-life when the text is valid.</param>
    /// <returns><see langword="true"/> when the text is valid.</returns>
    public static bool TryParse(string? text, out HalfLife halfLife)
    {
        halfLife = None;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string s = text.Trim().ToLowerInvariant();
        if (s is "none" or "off")
        {
            return true;
        }

        Match match = CountWithUnit().Match(s);
        if (!match.Success)
        {
            // Only the clock form (00:10:00): TimeSpan would read a bare "5000" as 5,000 days.
            if (!s.Contains(':', StringComparison.Ordinal)
                || !TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out TimeSpan span) || span <= TimeSpan.Zero)
            {
                return false;
            }

            halfLife = InTime(span);
            return true;
        }

        double value = double.Parse(match.Groups["value"].ValueSpan, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (!(value > 0) || !double.IsFinite(value))
        {
            return false;
        }

        HalfLife? parsed = match.Groups["unit"].Value switch
        {
            "points" or "point" => new HalfLife(value, HalfLifeUnit.Points),
            "batches" or "batch" => new HalfLife(value, HalfLifeUnit.Batches),
            "ms" => new HalfLife(value / 1000, HalfLifeUnit.Time),
            "s" or "sec" or "seconds" => new HalfLife(value, HalfLifeUnit.Time),
            "m" or "min" or "minutes" => new HalfLife(value * 60, HalfLifeUnit.Time),
            "h" or "hours" => new HalfLife(value * 3600, HalfLifeUnit.Time),
            "d" or "days" => new HalfLife(value * 86400, HalfLifeUnit.Time),
            _ => null,
        };
        // The unit conversion can still overflow (1e305h) or underflow to 0 (1e-322ms).
        if (parsed is not { Value: > 0 and < double.PositiveInfinity })
        {
            return false;
        }

        halfLife = parsed.Value;
        return true;
    }

    /// <summary>Parses a half-life; see <see cref="TryParse"/> for the forms.</summary>
    /// <param name="text">The text to parse.</param>
    /// <returns>The half-life.</returns>
    /// <exception cref="FormatException">The text is not a half-life.</exception>
    public static HalfLife Parse(string text) => TryParse(text, out HalfLife h)
        ? h
        : throw new FormatException($"'{text}' is not a half-life: give a count with its unit (20000points, 50batches), a duration (10m, 30s, 2h, 1d) or 'none'.");

    /// <inheritdoc/>
    public override string ToString() => !Forgets ? "none" : Unit switch
    {
        HalfLifeUnit.Batches => string.Create(CultureInfo.InvariantCulture, $"{Value}batches"),
        HalfLifeUnit.Points => string.Create(CultureInfo.InvariantCulture, $"{Value}points"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Value}s"),
    };

    private static double Positive(double value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (!(value > 0) || double.IsNaN(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "A half-life must be positive.");
        }

        return value;
    }

    [GeneratedRegex(@"^(?<value>[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(?<unit>[a-z]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex CountWithUnit();
}
