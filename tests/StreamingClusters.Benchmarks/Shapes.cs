using System.Globalization;

namespace StreamingClusters.Benchmarks;

/// <summary>The shapes of issue 5: d ∈ {2, 16, 128, 784} × k ∈ {8, 64}.</summary>
internal static class Shapes
{
    public static readonly (int D, int K)[] All =
    [
        (2, 8), (2, 64), (16, 8), (16, 64), (128, 8), (128, 64), (784, 8), (784, 64),
    ];

    /// <summary>Parses "16x64,784x8".</summary>
    public static (int D, int K)[] Parse(string text) =>
        text.Split(',').Select(s => s.Split('x')).Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture))).ToArray();
}
