using System.Globalization;

namespace StreamingClusters.Ingest;

/// <summary>The checks every point passes before it enters the pipeline, whatever its source.</summary>
internal static class PointValidator
{
    /// <summary>Returns why <paramref name="values"/> cannot be a point, or <see langword="null"/> when it can.</summary>
    /// <param name="values">The parsed values.</param>
    /// <param name="dimensions">The dimension d in force.</param>
    /// <param name="maxAbsoluteValue">The largest absolute value accepted.</param>
    /// <returns>A reason in words, or null.</returns>
    public static string? Check(ReadOnlySpan<float> values, int dimensions, float maxAbsoluteValue)
    {
        if (values.Length != dimensions)
        {
            return string.Create(CultureInfo.InvariantCulture, $"expected {dimensions} values, got {values.Length}");
        }

        for (int j = 0; j < values.Length; j++)
        {
            float v = values[j];
            if (!(MathF.Abs(v) <= maxAbsoluteValue))
            {
                return Describe(j, v, maxAbsoluteValue);
            }
        }

        return null;
    }

    private static string Describe(int index, float value, float max) =>
        float.IsNaN(value) ? string.Create(CultureInfo.InvariantCulture, $"value {index + 1} is NaN")
        : float.IsInfinity(value) ? string.Create(CultureInfo.InvariantCulture, $"value {index + 1} is infinite")
        : string.Create(CultureInfo.InvariantCulture, $"value {index + 1} ({value:G9}) exceeds the largest accepted magnitude {max:G9}");
}
