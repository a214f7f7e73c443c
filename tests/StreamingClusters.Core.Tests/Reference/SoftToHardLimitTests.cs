using StreamingClusters.EStep;
using StreamingClusters.Randomness;
using StreamingClusters.Reference;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Reference;

/// <summary>Soft responsibilities with covariance σ²I tend to the hard assignment as σ → 0.</summary>
public class SoftToHardLimitTests
{
    [Fact]
    public void Responsibilities_ShrinkingSigma_MassOnTheHardClusterRisesToOne()
    {
        var random = new ModelRandom(404);
        double[] sigmas = Enumerable.Range(0, 21).Select(i => Math.Pow(2, 2 - i)).ToArray();
        for (int run = 0; run < 50; run++)
        {
            int k = 2 + random.NextInt32(10);
            int d = 1 + random.NextInt32(8);
            int n = 1 + random.NextInt32(40);
            double[] means = GeneratedData.GaussianAsDouble(random, k * d, 2);
            float[] points = GeneratedData.SeparatedPoints(random, means, k, n, spread: 1.5);
            double[] uniform = Enumerable.Repeat(1.0 / k, k).ToArray();
            var hard = new int[n];
            HardEStep.Assign(new CentroidSet(means, k), points, hard, new float[n]);

            var previous = new double[n];
            var r = new double[n * k];
            foreach (double sigma in sigmas)
            {
                GaussianMixtureEM.Responsibilities(points, means, sigma * sigma, uniform, r);
                for (int i = 0; i < n; i++)
                {
                    ReadOnlySpan<double> row = r.AsSpan(i * k, k);
                    Assert.Equal(hard[i], GaussianMixtureEM.ClosestDelta(row));
                    Assert.Equal(1.0, row.ToArray().Sum(), 1e-12);
                    Assert.True(row[hard[i]] >= previous[i] - 1e-15, $"run {run}, point {i}: r fell from {previous[i]} to {row[hard[i]]} at σ = {sigma}");
                    previous[i] = row[hard[i]];
                }
            }

            // At σ = 2^−18 every point's posterior is a delta on its hard cluster.
            Assert.All(previous, last => Assert.Equal(1.0, last, 1e-12));
        }
    }
}
