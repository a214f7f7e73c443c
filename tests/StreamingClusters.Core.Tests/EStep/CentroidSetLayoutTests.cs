using System.Runtime.InteropServices;
using System.Security.Cryptography;
using StreamingClusters.EStep;
using StreamingClusters.Randomness;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.EStep;

/// <summary>
/// The vectorised construction of a version (narrowing, tameness, panels, norms) against a plain
/// one-value-at-a-time statement of the same layout, bit for bit, for every kernel path.
/// </summary>
public class CentroidSetLayoutTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int lanes in new[] { 1, 8, 16 })
        {
            foreach (int k in new[] { 1, 3, 8, 9, 16, 17, 33, 64, 70, 130 })
            {
                foreach (int d in new[] { 1, 2, 3, 7, 16, 17, 33 })
                {
                    data.Add(lanes, k, d);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Constructor_RandomCentroids_MatchesTheScalarLayoutBitForBit(int lanes, int k, int d)
    {
        var random = new ModelRandom((ulong)((lanes * 1_000_003) + (k * 1009) + d));
        double[] centroids = GeneratedData.GaussianAsDouble(random, k * d, 50);
        for (int i = 0; i < centroids.Length; i++)
        {
            // Values a float cannot hold exactly, so the rounding of each one is exercised.
            centroids[i] += random.NextDouble() * 1e-9;
        }

        AssertMatchesReference(centroids, k, lanes);
    }

    [Theory]
    [InlineData(16, 64, 16, 5)]
    [InlineData(16, 70, 3, 69)]
    [InlineData(8, 17, 16, 16)]
    [InlineData(16, 5, 16, 0)]
    [InlineData(1, 9, 4, 35)]
    public void Constructor_OneWildValue_IsNotTameAndStillMatches(int lanes, int k, int d, int at)
    {
        double[] centroids = Enumerable.Range(0, k * d).Select(i => (double)((i % 11) - 5)).ToArray();
        foreach (double wild in new[] { double.NaN, double.PositiveInfinity, -1e30, 2.0 * NearestCentroidKernel.TameMagnitude })
        {
            centroids[at] = wild;
            AssertMatchesReference(centroids, k, lanes);
            Assert.False(new CentroidSet(centroids, k, 0, lanes).IsTame);
        }

        centroids[at] = -NearestCentroidKernel.TameMagnitude;
        Assert.True(new CentroidSet(centroids, k, 0, lanes).IsTame);
    }

    /// <summary>
    /// A hash of every bit the E-step reads from versions built from seeded centroids: the layout and
    /// the norms of this release, pinned so that a faster construction can only ever reproduce them.
    /// </summary>
    [Fact]
    public void Constructor_SeededCentroids_KeepsThePinnedBits()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new ModelRandom(2718);
        foreach ((int k, int d) in new[] { (64, 16), (8, 16), (5, 2), (70, 33), (130, 7) })
        {
            double[] centroids = GeneratedData.GaussianAsDouble(random, k * d, 10);
            var set = new CentroidSet(centroids, k, 0, 16);
            hash.AppendData(MemoryMarshal.AsBytes(set.Centroids));
            hash.AppendData(MemoryMarshal.AsBytes(set.Norms.AsSpan()));
            hash.AppendData(MemoryMarshal.AsBytes(set.LaneNorms.AsSpan()));
            hash.AppendData(MemoryMarshal.AsBytes(Layout(set)));
        }

        Assert.Equal("46B954D4EEE5B62E282BAE9B5377C964EA69EADA08F68FDD784E7A986AE7161A", Convert.ToHexString(hash.GetHashAndReset()));
    }

    private static ReadOnlySpan<float> Layout(CentroidSet set) =>
        set.Panels.AsSpan(set.PanelOffset, set.PaddedClusters * set.Dimensions * (set.PairsPoints ? 2 : 1));

    private static void AssertMatchesReference(double[] centroids, int k, int lanes)
    {
        int d = centroids.Length / k;
        var set = new CentroidSet(centroids, k, 7, lanes);

        float[] narrowed = Array.ConvertAll(centroids, v => (float)v);
        Assert.True(Bitwise.Equal(narrowed, set.Centroids), "centroids");
        Assert.Equal(d <= NearestCentroidKernel.MaxTameDimensions && narrowed.All(v => MathF.Abs(v) <= NearestCentroidKernel.TameMagnitude), set.IsTame);

        var norms = new float[k];
        for (int c = 0; c < k; c++)
        {
            double norm = 0;
            for (int j = 0; j < d; j++)
            {
                norm += (double)narrowed[(c * d) + j] * narrowed[(c * d) + j];
            }

            norms[c] = (float)norm;
        }

        Assert.True(Bitwise.Equal(norms, set.Norms), "norms");

        bool pairs = lanes == 16 && k <= 8;
        Assert.Equal(pairs, set.PairsPoints);
        int padded = pairs ? 8 : (k + lanes - 1) / lanes * lanes;
        Assert.Equal(padded, set.PaddedClusters);
        int laneCount = pairs ? 16 : padded;
        var laneNorms = Enumerable.Repeat(float.PositiveInfinity, laneCount).ToArray();
        var layout = new float[laneCount * d];
        for (int c = 0; c < k; c++)
        {
            for (int j = 0; j < d; j++)
            {
                float value = narrowed[(c * d) + j];
                if (pairs)
                {
                    layout[(j * 16) + (2 * c)] = layout[(j * 16) + (2 * c) + 1] = value;
                }
                else
                {
                    int tile = c / (4 * lanes) * (4 * lanes);
                    int width = Math.Min(4 * lanes, padded - tile);
                    layout[(tile * d) + (j * width) + (c - tile)] = value;
                }
            }

            if (pairs)
            {
                laneNorms[2 * c] = laneNorms[(2 * c) + 1] = norms[c];
            }
            else
            {
                laneNorms[c] = norms[c];
            }
        }

        Assert.True(Bitwise.Equal(laneNorms, set.LaneNorms), "lane norms");
        Assert.True(Bitwise.Equal(layout, Layout(set)), "panels");
    }
}
