using StreamingClusters.Model;
using StreamingClusters.Randomness;
using StreamingClusters.Seeding;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Seeding;

public class KMeansPlusPlusTests
{
    [Fact]
    public void Seed_FewerDistinctPointsThanK_ThrowsNamingKAndTheDistinctCount()
    {
        // 50 points, but only 5 distinct values.
        float[] points = Enumerable.Range(0, 50).SelectMany(i => new[] { i % 5, 2f * (i % 5) }).ToArray();

        var error = Assert.Throws<InsufficientDistinctPointsException>(() => KMeansPlusPlus.Seed(points, 2, 8, new ModelRandom(1)));

        Assert.Equal("Seeding needs at least 8 distinct points (k = 8), but the 50 buffered points hold only 5 distinct values.", error.Message);
        Assert.Equal((8, 50, 5), (error.Clusters, error.Points, error.Distinct));
    }

    [Fact]
    public void Seed_FewerPointsThanKWithDuplicates_CountsTheDistinctValues()
    {
        // Three points, one value: the message must not claim three distinct values.
        float[] points = [1f, 1f, 1f, 1f, 1f, 1f];

        var error = Assert.Throws<InsufficientDistinctPointsException>(() => KMeansPlusPlus.Seed(points, 2, 8, new ModelRandom(1)));

        Assert.Equal("Seeding needs at least 8 distinct points (k = 8), but the 3 buffered points hold only 1 distinct values.", error.Message);
        Assert.Equal(1, error.Distinct);
    }

    [Fact]
    public void Seed_NoPoints_Throws()
    {
        var error = Assert.Throws<InsufficientDistinctPointsException>(() => KMeansPlusPlus.Seed([], 3, 2, new ModelRandom(1)));

        Assert.Equal(0, error.Distinct);
    }

    [Fact]
    public void Seed_ExactlyKDistinctPoints_ReturnsEachOfThem()
    {
        float[] points = [3f, 3f, 0f, 0f, 3f, 3f, -1f, 5f, 0f, 0f];

        double[] seeds = KMeansPlusPlus.Seed(points, 2, 3, new ModelRandom(2));

        var picked = Enumerable.Range(0, 3).Select(c => (seeds[2 * c], seeds[(2 * c) + 1])).OrderBy(p => p).ToArray();
        Assert.Equal([(-1.0, 5.0), (0.0, 0.0), (3.0, 3.0)], picked);
    }

    [Fact]
    public void Seed_FarApartBlobs_PutsOneSeedInEachBlob()
    {
        var random = new ModelRandom(3);
        const int K = 12, D = 5;
        double[] centres = GeneratedData.GaussianAsDouble(random, K * D, 1000);
        float[] points = GeneratedData.SeparatedPoints(random, centres, K, 3_000, spread: 1);

        double[] seeds = KMeansPlusPlus.Seed(points, D, K, random);

        var blobs = Enumerable.Range(0, K)
            .Select(c => GeneratedData.Nearest(Array.ConvertAll(seeds[(c * D)..((c + 1) * D)], v => (float)v), centres, K))
            .ToHashSet();
        Assert.Equal(K, blobs.Count);
    }

    [Fact]
    public void Seed_SameGeneratorState_SameSeeds_AndEverySeedIsADataPoint()
    {
        var random = new ModelRandom(4);
        float[] points = GeneratedData.Gaussian(random, 500 * 3);

        double[] first = KMeansPlusPlus.Seed(points, 3, 10, new ModelRandom(99));
        double[] second = KMeansPlusPlus.Seed(points, 3, 10, new ModelRandom(99), candidates: 0);
        double[] other = KMeansPlusPlus.Seed(points, 3, 10, new ModelRandom(100));

        Assert.True(Bitwise.Equal(first, second));
        Assert.False(Bitwise.Equal(first, other));
        for (int c = 0; c < 10; c++)
        {
            float[] seed = Array.ConvertAll(first[(c * 3)..((c + 1) * 3)], v => (float)v);
            Assert.Contains(Enumerable.Range(0, 500), i => points.AsSpan(i * 3, 3).SequenceEqual(seed));
        }
    }

    [Fact]
    public void Seed_ClusterModelWithTooFewDistinctPoints_ThrowsAndStaysUnseeded()
    {
        var model = new ClusterModel(new ModelSettings(4, 1));

        Assert.Throws<InsufficientDistinctPointsException>(() => model.Seed([1f, 2f, 1f, 2f, 3f]));
        Assert.False(model.IsSeeded);
    }

    [Fact]
    public void DefaultCandidates_IsTwoPlusFloorLnK()
    {
        Assert.Equal(2, KMeansPlusPlus.DefaultCandidates(1));
        Assert.Equal(6, KMeansPlusPlus.DefaultCandidates(64));
        Assert.Equal(8, KMeansPlusPlus.DefaultCandidates(1000));
    }
}
