using StreamingClusters.Randomness;

namespace StreamingClusters.Tests.Support;

/// <summary>
/// A 6-column sensor stream in mixed units: three operating modes that differ in four small-unit columns
/// (°C, kPa, mm/s, A), one column that is the same in every mode (humidity, %), and one of pure noise of
/// large spread (rpm, σ = 1000), which under raw Euclidean distance decides every assignment.
/// </summary>
internal static class SensorModes
{
    public const int Modes = 3;
    public const int Columns = 6;

    /// <summary>Each mode's mean per column.</summary>
    private static readonly double[][] Means =
    [
        [20.0, 101.0, 1.0, 5.0, 45.0, 3000.0],
        [23.0, 101.8, 3.0, 6.0, 45.0, 3000.0],
        [26.0, 102.6, 5.0, 7.0, 45.0, 3000.0],
    ];

    /// <summary>Each column's spread within a mode.</summary>
    private static readonly double[] Spreads = [0.5, 0.2, 0.3, 0.25, 3.0, 1000.0];

    /// <summary>n points, each from a mode drawn uniformly; the modes are returned beside them.</summary>
    public static (float[] Points, int[] Modes) Generate(int count, ulong seed)
    {
        var random = new ModelRandom(seed);
        var points = new float[count * Columns];
        var modes = new int[count];
        for (int i = 0; i < count; i++)
        {
            int mode = random.NextInt32(Modes);
            modes[i] = mode;
            for (int j = 0; j < Columns; j++)
            {
                points[(i * Columns) + j] = (float)(Means[mode][j] + (Spreads[j] * random.NextGaussian()));
            }
        }

        return (points, modes);
    }
}
