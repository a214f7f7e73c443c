using System.Globalization;
using System.Text;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>Seeded CSV bodies for the load tests: a header and <c>count</c> points of <c>dimensions</c> values.</summary>
internal static class LoadCsv
{
    public static byte[] Body(int count, int dimensions, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        text.AppendJoin(',', Enumerable.Range(0, dimensions).Select(j => $"c{j}")).Append('\n');
        for (int i = 0; i < count; i++)
        {
            // Points around 16 centres, so that the model has something to find.
            int centre = random.Next(16);
            for (int j = 0; j < dimensions; j++)
            {
                text.Append(j == 0 ? string.Empty : ",").Append((centre * 10 + random.NextDouble()).ToString("F3", CultureInfo.InvariantCulture));
            }

            text.Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
