using StreamingClusters.Randomness;

namespace StreamingClusters.Tests.TestDoubles;

/// <summary>Seeded data for pipeline tests.</summary>
internal static class TestData
{
    /// <summary>Points around <paramref name="clusters"/> well-separated centres, row-major.</summary>
    public static float[] Blobs(int count, int dimensions, int clusters, ulong seed)
    {
        var random = new ModelRandom(seed);
        var centres = new double[clusters * dimensions];
        for (int i = 0; i < centres.Length; i++)
        {
            centres[i] = random.NextDouble() * 100;
        }

        var points = new float[count * dimensions];
        for (int i = 0; i < count; i++)
        {
            int c = random.NextInt32(clusters);
            for (int j = 0; j < dimensions; j++)
            {
                points[(i * dimensions) + j] = (float)(centres[(c * dimensions) + j] + random.NextGaussian());
            }
        }

        return points;
    }
}
