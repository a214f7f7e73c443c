using StreamingClusters.EStep;
using StreamingClusters.Model;
using StreamingClusters.Randomness;
using StreamingClusters.Reference;
using StreamingClusters.Statistics;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Reference;

/// <summary>
/// DESIGN §1, M-step: under delta q each cluster moves to the mean of its points (Lloyd's step), and the
/// streaming update with discount 1 from zero weights, given the whole data set as one batch, is one Lloyd iteration.
/// </summary>
public class DeltaMStepTheoremTests
{
    [Fact]
    public void MStep_DeltaResponsibilities_EqualsBatchKMeansMeanStepBitForBit()
    {
        var random = new ModelRandom(505);
        for (int run = 0; run < 200; run++)
        {
            int k = 1 + random.NextInt32(12);
            int d = 1 + random.NextInt32(10);
            int n = 1 + random.NextInt32(300);
            double[] means = GeneratedData.GaussianAsDouble(random, k * d, 3);
            float[] points = GeneratedData.SeparatedPoints(random, means, k, n, spread: 1.5);
            double[] uniform = Enumerable.Repeat(1.0 / k, k).ToArray();

            var responsibilities = new double[n * k];
            var delta = new int[n];
            GaussianMixtureEM.DeltaResponsibilities(points, means, 1.0, uniform, responsibilities, delta);
            double[] emMeans = (double[])means.Clone();
            double[] priors = (double[])uniform.Clone();
            GaussianMixtureEM.MStep(points, responsibilities, emMeans, priors);

            var statistics = new ClusterStatistics(k, d);
            var hard = new int[n];
            HardEStep.Accumulate(new CentroidSet(means, k), points, statistics, hard);
            double[] lloydMeans = (double[])means.Clone();
            BatchKMeans.MeanStep(statistics, lloydMeans);

            Assert.Equal(hard, delta);
            Bitwise.AssertEqual(lloydMeans, emMeans, $"run {run} means");
            for (int c = 0; c < k; c++)
            {
                Assert.Equal((double)statistics.Counts[c] / n, priors[c], 1e-15);
            }
        }
    }

    [Fact]
    public void Apply_WholeDataSetFromZeroWeightsWithDiscountOne_IsOneLloydIterationBitForBit()
    {
        var random = new ModelRandom(606);
        for (int run = 0; run < 100; run++)
        {
            int k = 1 + random.NextInt32(20);
            int d = 1 + random.NextInt32(12);
            int n = 1 + random.NextInt32(2_000);
            double[] initial = GeneratedData.GaussianAsDouble(random, k * d, 2);
            float[] points = GeneratedData.Gaussian(random, n * d, 3);

            // Reseeding off: Lloyd keeps an empty cluster where it is, and so must the model here.
            var model = new ClusterModel(new ModelSettings(k, d) { ReseedRatio = 0 });
            model.SetCentroids(initial);
            ModelUpdate update = Streaming.Step(model, points, discount: 1.0);

            LloydResult lloyd = BatchKMeans.Lloyd(points, initial, k, maxIterations: 1);

            Bitwise.AssertEqual(lloyd.Centroids, model.Centroids, $"run {run} centroids");
            Assert.Equal(n, update.Points);
            Assert.Equal(lloyd.Objective[0], update.SquaredError);
            Assert.Equal(n, model.Weights.ToArray().Sum());
        }
    }
}
