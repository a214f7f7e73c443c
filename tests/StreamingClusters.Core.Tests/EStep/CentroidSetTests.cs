using StreamingClusters.EStep;

namespace StreamingClusters.Tests.EStep;

public class CentroidSetTests
{
    [Theory]
    [InlineData(1, 3)]
    [InlineData(5, 2)]
    [InlineData(9, 4)]
    [InlineData(70, 3)]
    public void Constructor_AnyShape_KeepsTheCentroidsAndCachesTheirNorms(int k, int d)
    {
        double[] centroids = Enumerable.Range(0, k * d).Select(i => (double)((i % 7) - 3)).ToArray();

        var set = new CentroidSet(centroids, k, version: 12);

        Assert.Equal(k, set.Clusters);
        Assert.Equal(d, set.Dimensions);
        Assert.Equal(12, set.Version);
        for (int c = 0; c < k; c++)
        {
            double norm = 0;
            for (int j = 0; j < d; j++)
            {
                norm += centroids[(c * d) + j] * centroids[(c * d) + j];
                Assert.Equal((float)centroids[(c * d) + j], set.Centroid(c)[j]);
            }

            Assert.Equal((float)norm, set.Norms[c]);
        }

        Assert.Equal(k, set.Norms.Length);
    }

    [Fact]
    public void Constructor_ValuesNotAMultipleOfK_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new CentroidSet(new double[7], 2));
        Assert.StartsWith("Expected k × d values for k = 2, got 7.", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new CentroidSet([], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CentroidSet(new double[4], 0));
    }
}
