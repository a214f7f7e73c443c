using StreamingClusters.Randomness;

namespace StreamingClusters.Tests.Randomness;

public class ModelRandomTests
{
    [Fact]
    public void NextUInt64_StateOneTwoThreeFour_MatchesXoshiro256StarStarReference()
    {
        // Worked by hand from the reference algorithm (Blackman and Vigna) for s = {1, 2, 3, 4}.
        ModelRandom random = ModelRandom.FromState([1, 2, 3, 4]);

        Assert.Equal(11520UL, random.NextUInt64());
        Assert.Equal(0UL, random.NextUInt64());
        Assert.Equal(1509978240UL, random.NextUInt64());
    }

    [Fact]
    public void FromState_StateTakenMidSequence_ContinuesTheSameSequence()
    {
        var random = new ModelRandom(42);
        for (int i = 0; i < 137; i++)
        {
            random.NextUInt64();
        }

        ModelRandom restored = ModelRandom.FromState(random.GetState());

        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(random.NextUInt64(), restored.NextUInt64());
        }

        Assert.Equal(random.NextDouble(), restored.NextDouble());
        Assert.Equal(random.NextInt32(1000), restored.NextInt32(1000));
        Assert.Equal(random.NextGaussian(), restored.NextGaussian());
    }

    [Fact]
    public void Constructor_SameSeed_SameSequence_DifferentSeed_DifferentSequence()
    {
        var a = new ModelRandom(7);
        var b = new ModelRandom(7);
        var c = new ModelRandom(8);
        ulong[] first = [a.NextUInt64(), a.NextUInt64(), a.NextUInt64()];
        ulong[] same = [b.NextUInt64(), b.NextUInt64(), b.NextUInt64()];
        ulong[] other = [c.NextUInt64(), c.NextUInt64(), c.NextUInt64()];

        Assert.Equal(first, same);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Constructor_SeedZero_HasNonZeroState()
    {
        Assert.Contains(new ModelRandom(0).GetState(), word => word != 0);
    }

    [Fact]
    public void FromState_AllZero_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => ModelRandom.FromState([0, 0, 0, 0]));
        Assert.StartsWith("A random state cannot be all zero.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromState_WrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => ModelRandom.FromState([1, 2, 3]));
    }

    [Fact]
    public void NextInt32_ManyDraws_StaysInRangeAndHitsEveryValue()
    {
        var random = new ModelRandom(3);
        var seen = new int[7];
        for (int i = 0; i < 7000; i++)
        {
            int v = random.NextInt32(7);
            Assert.InRange(v, 0, 6);
            seen[v]++;
        }

        // Each value expects 1000 hits; ±200 is more than six standard deviations.
        Assert.All(seen, hits => Assert.InRange(hits, 800, 1200));
        Assert.Equal(0, random.NextInt32(1));
    }

    [Fact]
    public void NextInt32_NonPositiveBound_Throws()
    {
        var random = new ModelRandom(3);
        Assert.Throws<ArgumentOutOfRangeException>(() => random.NextInt32(0));
    }

    [Fact]
    public void NextDoubleAndNextGaussian_ManyDraws_HaveTheExpectedMoments()
    {
        var random = new ModelRandom(11);
        const int N = 100_000;
        double sum = 0;
        double gaussianSum = 0;
        double gaussianSquares = 0;
        for (int i = 0; i < N; i++)
        {
            double u = random.NextDouble();
            Assert.InRange(u, 0.0, Math.BitDecrement(1.0));
            sum += u;
            double g = random.NextGaussian();
            gaussianSum += g;
            gaussianSquares += g * g;
        }

        Assert.InRange(sum / N, 0.49, 0.51);
        Assert.InRange(gaussianSum / N, -0.02, 0.02);
        Assert.InRange(gaussianSquares / N, 0.98, 1.02);
    }
}
