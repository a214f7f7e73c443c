using StreamingClusters.Mixture;
using StreamingClusters.Randomness;
using StreamingClusters.Reference;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Mixture;

/// <summary>The soft E-step's vector kernels against their scalar twin, and its responsibilities against the double-precision reference.</summary>
public sealed class SoftEStepKernelTests
{
    public static TheoryData<int> Lanes => [1, 8, 16];

    [Theory]
    [MemberData(nameof(Lanes))]
    public void LogDensities_EveryPath_AgreesWithTheScalarTwin(int lanes)
    {
        var random = new ModelRandom(7);
        for (int run = 0; run < 40; run++)
        {
            int k = 1 + random.NextInt32(70);
            int d = 1 + random.NextInt32(20);
            (double[] means, double[] variances, double[] priors) = MixtureData.Overlapping(random, k, d);
            var vector = new MixtureComponents(means, variances, priors, 0, lanes);
            var scalar = new MixtureComponents(means, variances, priors, 0, 1);
            float[] x = GeneratedData.Gaussian(random, d, 4);
            var fast = new float[vector.PaddedClusters];
            var slow = new float[scalar.PaddedClusters];

            SoftEStep.LogDensities(vector, x, fast);
            SoftEStepScalar.LogDensities(scalar, x, slow);

            for (int c = 0; c < k; c++)
            {
                Assert.Equal(slow[c], fast[c], Math.Max(1e-4f, Math.Abs(slow[c]) * 1e-5f));
            }

            Assert.All(fast[k..], l => Assert.Equal(float.NegativeInfinity, l));
        }
    }

    [Theory]
    [MemberData(nameof(Lanes))]
    public void Score_EveryPath_MatchesTheReferencePosteriorAndLikelihood(int lanes)
    {
        var random = new ModelRandom(11);
        for (int run = 0; run < 20; run++)
        {
            int k = 1 + random.NextInt32(40);
            int d = 1 + random.NextInt32(17);
            int n = 1 + random.NextInt32(50);
            (double[] means, double[] variances, double[] priors) = MixtureData.Overlapping(random, k, d);
            (float[] points, _) = MixtureData.Draw(random, means, variances, priors, n);
            var model = new MixtureComponents(means, variances, priors, 0, lanes);
            var labels = new int[n];
            var logLikelihoods = new float[n];
            var top = new float[n];
            var r = new double[n * k];

            SoftEStep.Score(model, points, labels, logLikelihoods, top);

            for (int i = 0; i < n; i++)
            {
                double expected = DiagonalGaussianMixtureEM.Responsibilities(points.AsSpan(i * d, d), means, variances, priors, r.AsSpan(0, k));
                Assert.Equal(expected, logLikelihoods[i], Math.Max(1e-4, Math.Abs(expected) * 1e-5));
                Assert.Equal(r[labels[i]], top[i], 1e-5);
                Assert.True(r[labels[i]] >= r.AsSpan(0, k).ToArray().Max() - 1e-5, $"run {run}, point {i}: component {labels[i]} is not the most likely");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Lanes))]
    public void Accumulate_EveryPath_GivesTheReferenceMassesAndMoments(int lanes)
    {
        var random = new ModelRandom(13);
        for (int run = 0; run < 10; run++)
        {
            // Whole vectors of coordinates (16, 32) take a path of their own.
            int k = 1 + random.NextInt32(40);
            int d = run < 2 ? 16 * (run + 1) : 1 + random.NextInt32(17);
            const int n = 300;
            (double[] means, double[] variances, double[] priors) = MixtureData.Overlapping(random, k, d);
            (float[] points, _) = MixtureData.Draw(random, means, variances, priors, n);
            var statistics = new MixtureStatistics(k, d);
            var r = new double[n * k];

            SoftEStep.Accumulate(new MixtureComponents(means, variances, priors, 0, lanes), points, statistics);

            double likelihood = DiagonalGaussianMixtureEM.Responsibilities(points, means, variances, priors, r);
            Assert.Equal(likelihood, statistics.LogLikelihood, Math.Abs(likelihood) * 1e-5);
            Assert.Equal(n, statistics.TotalCount);
            for (int c = 0; c < k; c++)
            {
                double mass = 0;
                for (int i = 0; i < n; i++)
                {
                    mass += r[(i * k) + c];
                }

                Assert.Equal(mass, statistics.Mass[c], 1e-3);
                for (int j = 0; j < d; j++)
                {
                    double first = 0, second = 0;
                    for (int i = 0; i < n; i++)
                    {
                        double t = points[(i * d) + j] - means[(c * d) + j];
                        first += r[(i * k) + c] * t;
                        second += r[(i * k) + c] * t * t;
                    }

                    Assert.Equal(first, statistics.First[(c * d) + j], 1e-2);
                    Assert.Equal(second, statistics.Second[(c * d) + j], Math.Max(1e-2, second * 1e-4));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Lanes))]
    public void Score_PointFarBeyondSinglePrecision_IsTakenInDoubleAndStaysFinite(int lanes)
    {
        double[] means = [0, 0, 10, 10];
        double[] variances = [1e-6, 1e-6, 1e-6, 1e-6];
        double[] priors = [0.5, 0.5];
        var model = new MixtureComponents(means, variances, priors, 0, lanes);
        float[] far = [-4e14f, -4e14f, 6e14f, 6e14f];
        var labels = new int[2];
        var logLikelihoods = new float[2];
        var top = new float[2];
        var r = new double[4];

        SoftEStep.Score(model, far, labels, logLikelihoods, top);
        var statistics = new MixtureStatistics(2, 2);
        SoftEStep.Accumulate(model, far, statistics);

        double expected = DiagonalGaussianMixtureEM.Responsibilities(far, means, variances, priors, r);
        Assert.True(float.IsFinite(logLikelihoods[0]) && float.IsFinite(logLikelihoods[1]));
        Assert.Equal(expected, (double)logLikelihoods[0] + logLikelihoods[1], Math.Abs(expected) * 1e-6);
        Assert.Equal([0, 1], labels);
        Assert.Equal([1f, 1f], top);
        Assert.Equal(2, statistics.Mass.ToArray().Sum(), 1e-12);
        Assert.Equal(expected, statistics.LogLikelihood, Math.Abs(expected) * 1e-6);
    }

    [Fact]
    public void Score_FarPointNearTwoComponents_SplitsItsResponsibilityAsTheReferenceDoes()
    {
        // 1,000 spreads from both means: every log-density is about −5e5, and the difference between them decides.
        double[] means = [0, 1];
        double[] variances = [1, 1];
        double[] priors = [0.3, 0.7];
        var model = new MixtureComponents(means, variances, priors);
        float[] x = [-1000];
        var labels = new int[1];
        var logLikelihood = new float[1];
        var top = new float[1];
        var r = new double[2];

        SoftEStep.Score(model, x, labels, logLikelihood, top);

        double expected = DiagonalGaussianMixtureEM.Responsibilities(x, means, variances, priors, r);
        Assert.Equal(0, labels[0]);
        Assert.Equal(r[0], top[0], 1e-6);
        Assert.Equal(expected, logLikelihood[0], Math.Abs(expected) * 1e-6);
    }
}
