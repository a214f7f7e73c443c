using System.Globalization;
using System.Text;

namespace StreamingClusters.Reliability.Overload;

/// <summary>Seeded points around many centres, as float blocks (for the writer) and as CSV bodies (for HTTP).</summary>
internal static class LoadData
{
    public static float[] Points(int count, int dimensions, int seed)
    {
        var random = new Random(seed);
        var points = new float[count * dimensions];
        for (int i = 0; i < count; i++)
        {
            int centre = random.Next(64);
            for (int j = 0; j < dimensions; j++)
            {
                points[(i * dimensions) + j] = (centre * 10) + (float)random.NextDouble();
            }
        }

        return points;
    }

    public static byte[] Csv(ReadOnlySpan<float> points, int dimensions)
    {
        var text = new StringBuilder();
        text.AppendJoin(',', Enumerable.Range(0, dimensions).Select(j => string.Create(CultureInfo.InvariantCulture, $"c{j}"))).Append('\n');
        for (int i = 0; i < points.Length; i += dimensions)
        {
            for (int j = 0; j < dimensions; j++)
            {
                if (j > 0)
                {
                    text.Append(',');
                }

                text.Append(points[i + j].ToString("F3", CultureInfo.InvariantCulture));
            }

            text.Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
