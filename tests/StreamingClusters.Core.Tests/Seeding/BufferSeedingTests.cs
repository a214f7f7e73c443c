using StreamingClusters.Model;
using StreamingClusters.Randomness;
using StreamingClusters.Reference;
using StreamingClusters.Seeding;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Seeding;

public class BufferSeedingTests
{
    private const int K = 12, D = 6;

    /// <summary>A buffer of K blobs of unequal spread (0.5–3) in a cube of side 40: one k-means++ start often puts two seeds in one blob.</summary>
    private static float[] Buffer(ulong seed, int count = 3_000) => Blobs(seed, count).Points;

    private static (float[] Points, double[] Centres) Blobs(ulong seed, int count)
    {
        var random = new ModelRandom(seed);
        double[] centres = [.. Enumerable.Range(0, K * D).Select(_ => random.NextDouble() * 40)];
        double[] spreads = [.. Enumerable.Range(0, K).Select(_ => 0.5 + (2.5 * random.NextDouble()))];
        var points = new float[count * D];
        for (int i = 0; i < count; i++)
        {
            int c = random.NextInt32(K);
            for (int j = 0; j < D; j++)
            {
                points[(i * D) + j] = (float)(centres[(c * D) + j] + (spreads[c] * random.NextGaussian()));
            }
        }

        return (points, centres);
    }

    [Fact]
    public void Seed_AnyParallelism_TheSameBits()
    {
        float[] buffer = Buffer(1);
        var plan = new BufferSeedingPlan { Candidates = 8, RefineIterations = 5, Starts = 3, Breaths = 20 };

        BufferSeedingResult one = BufferSeeding.Seed(buffer, D, K, new ModelRandom(7), plan, parallelism: 1);
        foreach (int parallelism in new[] { 2, 3, 8 })
        {
            BufferSeedingResult many = BufferSeeding.Seed(buffer, D, K, new ModelRandom(7), plan, parallelism);

            Bitwise.AssertEqual(one.Centroids, many.Centroids, $"centroids at parallelism {parallelism}");
            Assert.Equal(one, many with { Centroids = one.Centroids });
        }
    }

    [Fact]
    public void Seed_OneStartNoBreaths_IsKMeansPlusPlusThenLloyd()
    {
        float[] buffer = Buffer(2);

        BufferSeedingResult result = BufferSeeding.Seed(buffer, D, K, new ModelRandom(5), new BufferSeedingPlan { Candidates = 4, RefineIterations = 7 }, parallelism: 1);

        double[] expected = BatchKMeans.Lloyd(buffer, KMeansPlusPlus.Seed(buffer, D, K, new ModelRandom(5), 4), K, 7).Centroids;
        Bitwise.AssertEqual(expected, result.Centroids, "centroids");
        Assert.Equal(BatchKMeans.Objective(buffer, result.Centroids, K), result.Objective, 1e-6 * result.Objective);
        Assert.Equal((0, 0, 0), (result.Start, result.BreathsKept, result.BreathsTried));
    }

    [Fact]
    public void Seed_MoreStartsOrBreaths_NeverWorseThanOneStart_AndBetterOnSomeBuffers()
    {
        int startsBetter = 0, breathsBetter = 0;
        for (ulong seed = 1; seed <= 10; seed++)
        {
            float[] buffer = Buffer(seed);
            var one = new BufferSeedingPlan { Candidates = 1, RefineIterations = 10 };

            double single = BufferSeeding.Seed(buffer, D, K, new ModelRandom(seed), one, 1).Objective;
            double starts = BufferSeeding.Seed(buffer, D, K, new ModelRandom(seed), one with { Starts = 3 }, 1).Objective;
            BufferSeedingResult breathed = BufferSeeding.Seed(buffer, D, K, new ModelRandom(seed), one with { Breaths = 20 }, 1);

            // The first start is the single start (the same draws), and a breath is kept only when it lowers the objective.
            Assert.True(starts <= single, $"seed {seed}: 3 starts {starts} above one start's {single}");
            Assert.True(breathed.Objective <= single, $"seed {seed}: breathing {breathed.Objective} above one start's {single}");
            Assert.Equal(breathed.BreathsKept > 0, breathed.Objective < single);
            Assert.InRange(breathed.BreathsTried, 5, 20);
            Assert.Equal(BatchKMeans.Objective(buffer, breathed.Centroids, K), breathed.Objective, 1e-5 * breathed.Objective);
            startsBetter += starts < single ? 1 : 0;
            breathsBetter += breathed.Objective < single ? 1 : 0;
        }

        Assert.True(startsBetter > 0, "three starts never beat one");
        Assert.True(breathsBetter > 0, "breathing never beat one start");
    }

    [Fact]
    public void Seed_Breathing_FindsTheBlobsOneStartMisses()
    {
        // Blobs of unequal spread and one plain k-means++ candidate per pick: some starts put two seeds
        // in one blob and leave two blobs to share one; breathing moves the spare seed.
        var plan = new BufferSeedingPlan { Candidates = 1, RefineIterations = 20 };
        int missed = 0;
        for (ulong seed = 1; seed <= 12; seed++)
        {
            (float[] buffer, double[] centres) = Blobs(seed, 3_000);
            double[] single = BufferSeeding.Seed(buffer, D, K, new ModelRandom(seed), plan, 1).Centroids;
            double[] breathed = BufferSeeding.Seed(buffer, D, K, new ModelRandom(seed), plan with { Breaths = 20 }, 1).Centroids;

            missed += Covered(single, centres) < K ? 1 : 0;
            Assert.True(Covered(breathed, centres) == K, $"seed {seed}: breathing left {K - Covered(breathed, centres)} blobs without a centroid of their own (one start: {K - Covered(single, centres)})");
        }

        Assert.True(missed > 0, "no single start missed a blob: the case does not test breathing");
    }

    [Fact]
    public void Seed_OneCluster_NoBreaths()
    {
        float[] buffer = Buffer(3, count: 200);

        BufferSeedingResult result = BufferSeeding.Seed(buffer, D, 1, new ModelRandom(1), new BufferSeedingPlan { Breaths = 20 }, 1);

        Assert.Equal(0, result.BreathsTried);
    }

    [Fact]
    public void Seed_ExactlyKDistinctPoints_BreathingKeepsEachPointACentroid()
    {
        float[] buffer = [0, 0, 10, 0, 0, 10, 10, 10, 0, 0, 10, 0];

        BufferSeedingResult result = BufferSeeding.Seed(buffer, 2, 4, new ModelRandom(1), new BufferSeedingPlan { Breaths = 20, BreathingDepth = 2 }, 1);

        Assert.Equal(0, result.Objective);
        Assert.Equal(0, result.BreathsKept);
    }

    [Theory]
    [InlineData(0, 0, 5, "Starts")]
    [InlineData(1, -1, 5, "Breaths")]
    [InlineData(1, 0, -1, "BreathingDepth")]
    public void Seed_PlanOutOfRange_ThrowsNamingIt(int starts, int breaths, int depth, string name)
    {
        var plan = new BufferSeedingPlan { Starts = starts, Breaths = breaths, BreathingDepth = depth };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => BufferSeeding.Seed(Buffer(1, 100), D, 2, new ModelRandom(1), plan, 1));

        Assert.Equal($"plan.{name}", error.ParamName);
    }

    [Fact]
    public void ClusterModelSeed_WithBreaths_IsTheBufferSeedingsStart_SameForAnyParallelism_AndSaysSoInTheEvents()
    {
        float[] buffer = Buffer(4);
        var settings = new ModelSettings(K, D) { Seed = 9, SeedingStarts = 2, SeedingBreaths = 20, RefineIterations = 5, SeedingCandidates = 6 };
        var one = new ClusterModel(settings);
        var two = new ClusterModel(settings);

        one.Seed(buffer, parallelism: 1);
        two.Seed(buffer, parallelism: 2);

        Bitwise.AssertEqual(one.ToState(), two.ToState());
        var plan = new BufferSeedingPlan { Candidates = 6, RefineIterations = 5, Starts = 2, Breaths = 20 };
        BufferSeedingResult expected = BufferSeeding.Seed(buffer, D, K, new ModelRandom(9), plan, 1);
        Bitwise.AssertEqual(expected.Centroids, one.Centroids, "centroids");
        ModelUpdate first = Streaming.Step(one, buffer, 1);
        string reason = Assert.Single(first.Events.Select(e => e.Reason).Distinct());
        Assert.Equal($"k-means++ on the first 3000 points (best of 2 starts, {expected.BreathsKept} of {expected.BreathsTried} breaths kept)", reason);
    }

    [Fact]
    public void ClusterModel_SeededWithBreaths_RestoredFromItsState_ContinuesBitIdentically()
    {
        float[] buffer = Buffer(5);
        float[] stream = Buffer(6, count: 8 * 256);
        var original = new ClusterModel(new ModelSettings(K, D) { Seed = 4, SeedingBreaths = 20, Repair = true });
        original.Seed(buffer);
        Streaming.Step(original, buffer, 1);

        ClusterModel restored = ClusterModel.Restore(original.ToState());

        Bitwise.AssertEqual(original.ToState(), restored.ToState());
        for (int b = 0; b < 8; b++)
        {
            float[] batch = stream[(b * 256 * D)..((b + 1) * 256 * D)];
            Streaming.Step(original, batch, 0.99);
            Streaming.Step(restored, batch, 0.99);
        }

        Bitwise.AssertEqual(original.ToState(), restored.ToState());
    }

    /// <summary>How many of the blobs have a centroid nearer to their centre than to any other's.</summary>
    private static int Covered(double[] centroids, double[] centres) =>
        Enumerable.Range(0, K).Select(c => GeneratedData.Nearest(Array.ConvertAll(centroids[(c * D)..((c + 1) * D)], v => (float)v), centres, K)).Distinct().Count();
}
