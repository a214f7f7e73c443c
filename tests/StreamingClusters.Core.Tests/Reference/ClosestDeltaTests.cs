using StreamingClusters.Randomness;
using StreamingClusters.Reference;

namespace StreamingClusters.Tests.Reference;

/// <summary>Among delta distributions, the one closest in KL to a posterior sits on its most probable cluster.</summary>
public class ClosestDeltaTests
{
    [Fact]
    public void ClosestDelta_PosteriorSixTenthsFourTenths_PicksTheSixTenths()
    {
        double[] posterior = [0.6, 0.4];

        double toFirst = GaussianMixtureEM.KullbackLeibler([1, 0], posterior);
        double toSecond = GaussianMixtureEM.KullbackLeibler([0, 1], posterior);

        Assert.Equal(-Math.Log(0.6), toFirst, 1e-15);
        Assert.Equal(-Math.Log(0.4), toSecond, 1e-15);
        Assert.True(toFirst < toSecond);
        Assert.Equal(0, GaussianMixtureEM.ClosestDelta(posterior));
        Assert.Equal(1, GaussianMixtureEM.ClosestDelta([0.4, 0.6]));
    }

    [Fact]
    public void ClosestDelta_RandomPosteriors_IsTheDeltaOfLeastKullbackLeibler()
    {
        var random = new ModelRandom(303);
        for (int run = 0; run < 1_000; run++)
        {
            int k = 1 + random.NextInt32(12);
            double[] posterior = RandomDistribution(random, k);
            int mostProbable = 0;
            int leastDivergent = 0;
            double least = double.PositiveInfinity;
            for (int c = 0; c < k; c++)
            {
                var delta = new double[k];
                delta[c] = 1;
                double divergence = GaussianMixtureEM.KullbackLeibler(delta, posterior);

                // KL(δ_c ‖ p) = −log p_c.
                Assert.Equal(-Math.Log(posterior[c]), divergence, 1e-12);
                if (divergence < least)
                {
                    least = divergence;
                    leastDivergent = c;
                }

                if (posterior[c] > posterior[mostProbable])
                {
                    mostProbable = c;
                }
            }

            Assert.Equal(mostProbable, leastDivergent);
            Assert.Equal(leastDivergent, GaussianMixtureEM.ClosestDelta(posterior));
        }
    }

    [Fact]
    public void ClosestDelta_Tie_PicksTheLowestIndex()
    {
        Assert.Equal(1, GaussianMixtureEM.ClosestDelta([0.2, 0.4, 0.4]));
    }

    [Fact]
    public void KullbackLeibler_SameDistribution_IsZero_MassWherePHasNone_IsInfinite()
    {
        Assert.Equal(0, GaussianMixtureEM.KullbackLeibler([0.3, 0.7], [0.3, 0.7]), 1e-15);
        Assert.Equal(double.PositiveInfinity, GaussianMixtureEM.KullbackLeibler([0.5, 0.5], [1, 0]));
    }

    private static double[] RandomDistribution(ModelRandom random, int k)
    {
        // Exponential draws normalised: a uniform draw from the simplex.
        var p = new double[k];
        for (int c = 0; c < k; c++)
        {
            p[c] = -Math.Log(1 - random.NextDouble()) + 1e-12;
        }

        double sum = p.Sum();
        return Array.ConvertAll(p, v => v / sum);
    }
}
