using StreamingClusters.EStep;
using StreamingClusters.Mixture;
using StreamingClusters.Model;
using StreamingClusters.Randomness;
using StreamingClusters.Reference;
using StreamingClusters.Statistics;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Mixture;

/// <summary>
/// The theory of the mixture in code: k-means is its limit of equal priors and vanishing variances, batch EM
/// never lowers the likelihood, statistics are a monoid, and the streaming M-step is the reference EM's.
/// </summary>
public sealed class MixtureTheoryTests
{
    private static GaussianMixtureModel Fresh(int k, int d, double[] means, double[] variances, double[] priors)
    {
        var model = new GaussianMixtureModel(new ModelSettings(k, d) { ReseedRatio = 0 }, new MixtureOptions());
        model.SetParameters(means, variances, priors);
        return model;
    }

    /// <summary>One batch EM step: the E-step against the parameters, the M-step from zero weights.</summary>
    private static GaussianMixtureModel BatchStep(int k, int d, double[] means, double[] variances, double[] priors, float[] points)
    {
        GaussianMixtureModel model = Fresh(k, d, means, variances, priors);
        var statistics = new MixtureStatistics(k, d);
        SoftEStep.Accumulate(model.Current, points, statistics);
        model.Apply(statistics, 1, []);
        return model;
    }

    [Fact]
    public void Responsibilities_EqualPriorsAndVanishingVariances_AreTheHardAssignment()
    {
        var random = new ModelRandom(21);
        for (int run = 0; run < 30; run++)
        {
            int k = 2 + random.NextInt32(20);
            int d = 1 + random.NextInt32(12);
            int n = 1 + random.NextInt32(60);
            double[] means = GeneratedData.GaussianAsDouble(random, k * d, 2);
            float[] points = GeneratedData.SeparatedPoints(random, means, k, n, spread: 1.5);
            double[] uniform = [.. Enumerable.Repeat(1.0 / k, k)];
            var hard = new int[n];
            HardEStep.Assign(new CentroidSet(means, k), points, hard, new float[n]);
            var labels = new int[n];
            var top = new float[n];

            SoftEStep.Score(new MixtureComponents(means, [.. Enumerable.Repeat(1e-6, k * d)], uniform), points, labels, new float[n], top);

            Assert.Equal(hard, labels);
            Assert.All(top, r => Assert.Equal(1f, r));
        }
    }

    [Fact]
    public void BatchStep_EqualPriorsAndVanishingVariances_IsOneLloydStep()
    {
        var random = new ModelRandom(22);
        for (int run = 0; run < 20; run++)
        {
            int k = 2 + random.NextInt32(12);
            int d = 1 + random.NextInt32(10);
            int n = k + random.NextInt32(300);
            double[] means = GeneratedData.GaussianAsDouble(random, k * d, 2);
            float[] points = GeneratedData.SeparatedPoints(random, means, k, n, spread: 1.5);
            double[] lloyd = (double[])means.Clone();
            var hard = new ClusterStatistics(k, d);
            HardEStep.Accumulate(new CentroidSet(means, k), points, hard);
            BatchKMeans.MeanStep(hard, lloyd);

            GaussianMixtureModel step = BatchStep(k, d, means, [.. Enumerable.Repeat(1e-6, k * d)], [.. Enumerable.Repeat(1.0 / k, k)], points);

            for (int i = 0; i < lloyd.Length; i++)
            {
                Assert.Equal(lloyd[i], step.Means[i], 1e-5);
            }

            for (int c = 0; c < k; c++)
            {
                Assert.Equal(hard.Counts[c], step.Weights[c], 1e-9);
            }
        }
    }

    [Fact]
    public void BatchEM_OnOverlappingMixtures_NeverLowersTheLikelihood()
    {
        var random = new ModelRandom(23);
        for (int run = 0; run < 6; run++)
        {
            int k = 2 + random.NextInt32(6);
            int d = 1 + random.NextInt32(6);
            (double[] trueMeans, double[] trueVariances, double[] truePriors) = MixtureData.Overlapping(random, k, d);
            (float[] points, _) = MixtureData.Draw(random, trueMeans, trueVariances, truePriors, 600);
            double[] means = [.. Enumerable.Range(0, k * d).Select(i => (double)points[i])];
            double[] variances = [.. Enumerable.Repeat(1.0, k * d)];
            double[] priors = [.. Enumerable.Repeat(1.0 / k, k)];
            var r = new double[600 * k];
            double previous = DiagonalGaussianMixtureEM.Responsibilities(points, means, variances, priors, r);
            for (int iteration = 0; iteration < 25; iteration++)
            {
                GaussianMixtureModel step = BatchStep(k, d, means, variances, priors, points);
                (means, variances, priors) = (step.Means.ToArray(), step.Variances.ToArray(), step.Priors.ToArray());

                double likelihood = DiagonalGaussianMixtureEM.Responsibilities(points, means, variances, priors, r);
                Assert.True(likelihood >= previous - (1e-5 * Math.Abs(previous)), $"run {run}, iteration {iteration}: {previous} → {likelihood}");
                previous = likelihood;
            }
        }
    }

    [Fact]
    public void Add_ShardsOfABatch_EqualOnePassOverIt()
    {
        var random = new ModelRandom(24);
        (double[] means, double[] variances, double[] priors) = MixtureData.Overlapping(random, 6, 8);
        (float[] points, _) = MixtureData.Draw(random, means, variances, priors, 1000);
        var model = new MixtureComponents(means, variances, priors);
        var whole = new MixtureStatistics(6, 8);
        SoftEStep.Accumulate(model, points, whole);

        var merged = new MixtureStatistics(6, 8);
        var shard = new MixtureStatistics(6, 8);
        foreach ((int start, int count) in new[] { (0, 256), (256, 100), (356, 644) })
        {
            shard.Clear();
            SoftEStep.Accumulate(model, points.AsSpan(start * 8, count * 8), shard);
            merged.Add(shard);
        }

        Assert.Equal(whole.Counts.ToArray(), merged.Counts.ToArray());
        Assert.Equal(whole.LogLikelihood, merged.LogLikelihood, 1e-9 * Math.Abs(whole.LogLikelihood));
        AssertClose(whole.Mass, merged.Mass, 1e-9);
        AssertClose(whole.First, merged.First, 1e-6);
        AssertClose(whole.Second, merged.Second, 1e-6);
    }

    [Fact]
    public void Apply_OneBatchFromZeroWeights_AgreesWithTheReferenceBatchEM()
    {
        var random = new ModelRandom(25);
        for (int run = 0; run < 10; run++)
        {
            int k = 1 + random.NextInt32(8);
            int d = 1 + random.NextInt32(9);
            (double[] means, double[] variances, double[] priors) = MixtureData.Overlapping(random, k, d);
            (float[] points, _) = MixtureData.Draw(random, means, variances, priors, 500);
            double[] refMeans = (double[])means.Clone(), refVariances = (double[])variances.Clone(), refPriors = (double[])priors.Clone();
            var r = new double[500 * k];
            DiagonalGaussianMixtureEM.Responsibilities(points, means, variances, priors, r);
            DiagonalGaussianMixtureEM.MStep(points, r, refMeans, refVariances, refPriors);

            GaussianMixtureModel step = BatchStep(k, d, means, variances, priors, points);

            AssertClose(refMeans, step.Means, 2e-5);
            AssertClose(refVariances, step.Variances, 2e-5);
            AssertClose(refPriors, step.Priors, 2e-6);
        }
    }

    [Fact]
    public void Apply_DiscountedBatchOnAWeightedModel_IsTheDiscountedMeanAndVarianceOfOldAndNew()
    {
        var random = new ModelRandom(26);
        (double[] means, double[] variances, double[] priors) = MixtureData.Overlapping(random, 3, 4);
        (float[] first, _) = MixtureData.Draw(random, means, variances, priors, 400);
        (float[] second, _) = MixtureData.Draw(random, means, variances, priors, 300);
        GaussianMixtureModel model = Fresh(3, 4, means, variances, priors);
        var statistics = new MixtureStatistics(3, 4);
        SoftEStep.Accumulate(model.Current, first, statistics);
        model.Apply(statistics, 1, []);
        double[] w0 = model.Weights.ToArray(), mu0 = model.Means.ToArray(), var0 = model.Variances.ToArray();
        const double a = 0.6;
        var r = new double[300 * 3];
        DiagonalGaussianMixtureEM.Responsibilities(second, mu0, var0, model.Priors.ToArray(), r);

        statistics.Clear();
        SoftEStep.Accumulate(model.Current, second, statistics);
        model.Apply(statistics, a, []);

        // Old points stand for a·w of mass with the old mean and variance: E[x] and E[x²] of old and new together.
        for (int c = 0; c < 3; c++)
        {
            double mass = Enumerable.Range(0, 300).Sum(i => r[(i * 3) + c]);
            double w = (a * w0[c]) + mass;
            Assert.Equal(w, model.Weights[c], 1e-5 * w);
            for (int j = 0; j < 4; j++)
            {
                double sum = Enumerable.Range(0, 300).Sum(i => r[(i * 3) + c] * second[(i * 4) + j]);
                double square = Enumerable.Range(0, 300).Sum(i => r[(i * 3) + c] * second[(i * 4) + j] * second[(i * 4) + j]);
                double old = mu0[(c * 4) + j];
                double mu = ((a * w0[c] * old) + sum) / w;
                double variance = (((a * w0[c]) * (var0[(c * 4) + j] + (old * old))) + square) / w - (mu * mu);
                Assert.Equal(mu, model.Means[(c * 4) + j], 1e-5);
                Assert.Equal(variance, model.Variances[(c * 4) + j], 1e-4 * variance);
            }
        }

        Assert.Equal(1, model.Priors.ToArray().Sum(), 1e-12);
    }

    private static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 0;
        foreach (double e in expected)
        {
            scale = Math.Max(scale, Math.Abs(e));
        }

        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * Math.Max(1, scale), $"at {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
