using StreamingClusters.Randomness;
using StreamingClusters.Seeding;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Seeding;

/// <summary>
/// The seeding computes several points' distances at once (vectors over points) and draws candidates
/// by binary search, weighing them on several threads; it must pick exactly the seeds of the plain algorithm, written out here one
/// point and one candidate at a time.
/// </summary>
public class KMeansPlusPlusReferenceTests
{
    [Theory]
    [InlineData(1, 3, 40, 4)]
    [InlineData(3, 5, 13, 3)]
    [InlineData(5, 7, 101, 5)]
    [InlineData(16, 16, 1_000, 24)]
    [InlineData(17, 9, 515, 6)]
    [InlineData(64, 4, 300, 0)]
    [InlineData(16, 64, 2_003, 24)]
    public void Seed_AnyShape_SameBitsAsThePlainAlgorithm(int d, int k, int n, int candidates)
    {
        var data = new ModelRandom(7);
        double[] centres = GeneratedData.GaussianAsDouble(data, k * d, 20);
        float[] points = GeneratedData.SeparatedPoints(data, centres, k, n, spread: 2);

        double[] reference = PlainSeed(points, d, k, new ModelRandom(11), candidates == 0 ? KMeansPlusPlus.DefaultCandidates(k) : candidates);

        foreach (int parallelism in new[] { 1, 2, 3 })
        {
            double[] seeds = KMeansPlusPlus.Seed(points, d, k, new ModelRandom(11), candidates, parallelism);
            Assert.True(Bitwise.Equal(reference, seeds), $"parallelism {parallelism}");
        }
    }

    [Fact]
    public void Seed_ManyDuplicates_SameBitsAsThePlainAlgorithm()
    {
        // Zero weights between positive ones: the draw must skip them as the plain running sum does.
        float[] points = [.. Enumerable.Range(0, 400).SelectMany(i => new[] { (float)(i % 9 == 0 ? i : 0), (float)(i % 13 == 0 ? -i : 0) })];

        double[] reference = PlainSeed(points, 2, 12, new ModelRandom(3), 5);

        Assert.True(Bitwise.Equal(reference, KMeansPlusPlus.Seed(points, 2, 12, new ModelRandom(3), 5)));
        Assert.True(Bitwise.Equal(reference, KMeansPlusPlus.Seed(points, 2, 12, new ModelRandom(3), 5, parallelism: 2)));
    }

    private static double[] PlainSeed(float[] points, int d, int k, ModelRandom random, int tries)
    {
        int n = points.Length / d;
        var seeds = new double[k * d];
        var closest = new double[n];
        var trial = new double[n];
        var best = new double[n];
        int first = random.NextInt32(n);
        double potential = 0;
        for (int i = 0; i < n; i++)
        {
            closest[i] = SeedDistances.SquaredDistance(points.AsSpan(i * d, d), points.AsSpan(first * d, d));
            potential += closest[i];
        }

        Array.ConvertAll(points[(first * d)..((first + 1) * d)], v => (double)v).CopyTo(seeds, 0);
        for (int c = 1; c < k; c++)
        {
            int bestCandidate = -1;
            double bestPotential = double.PositiveInfinity;
            for (int t = 0; t < tries; t++)
            {
                int candidate = D2Sampler.SampleProportional(closest, potential, random);
                double trialPotential = 0;
                for (int i = 0; i < n; i++)
                {
                    trial[i] = Math.Min(closest[i], SeedDistances.SquaredDistance(points.AsSpan(i * d, d), points.AsSpan(candidate * d, d)));
                    trialPotential += trial[i];
                }

                if (trialPotential < bestPotential)
                {
                    bestPotential = trialPotential;
                    bestCandidate = candidate;
                    (best, trial) = (trial, best);
                }
            }

            Array.ConvertAll(points[(bestCandidate * d)..((bestCandidate + 1) * d)], v => (double)v).CopyTo(seeds, c * d);
            (closest, best) = (best, closest);
            potential = bestPotential;
        }

        return seeds;
    }
}
