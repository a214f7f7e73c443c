using StreamingClusters.EStep;
using StreamingClusters.Randomness;
using StreamingClusters.Reference;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Reference;

/// <summary>
/// DESIGN §1, E-step: under the restricted mixture (Σ = I, uniform π) the delta-restricted E-step,
/// argmax_c p(t = c | x), is argmin_c ‖x − μ_c‖², which is what HardEStep computes.
/// </summary>
public class DeltaEStepTheoremTests
{
    [Fact]
    public void DeltaEStep_RandomMixtures_ArgmaxPosteriorEqualsArgminDistanceEqualsHardEStep()
    {
        var random = new ModelRandom(101);
        for (int run = 0; run < 300; run++)
        {
            int k = 1 + random.NextInt32(16);
            int d = 1 + random.NextInt32(10);
            int n = 1 + random.NextInt32(100);
            double[] means = GeneratedData.GaussianAsDouble(random, k * d, 3);
            float[] points = GeneratedData.SeparatedPoints(random, means, k, n, spread: 1.5);

            AssertTheorem(points, means, k, $"run {run} (k={k}, d={d})");
        }
    }

    [Fact]
    public void DeltaEStep_IntegerGridWithTies_AllThreeGiveTheLowestIndex()
    {
        // Integer coordinates make every squared distance exact in float and double, ties included.
        var random = new ModelRandom(202);
        int ties = 0;
        for (int run = 0; run < 300; run++)
        {
            int k = 1 + random.NextInt32(12);
            int d = 1 + random.NextInt32(6);
            int n = 1 + random.NextInt32(100);
            double[] means = Array.ConvertAll(GeneratedData.Integers(random, k * d, -3, 3), v => (double)v);
            float[] points = GeneratedData.Integers(random, n * d, -5, 5);

            ties += AssertTheorem(points, means, k, $"run {run} (k={k}, d={d})");
        }

        Assert.True(ties > 100, $"only {ties} tied points were generated");
    }

    /// <summary>Checks the three assignments agree; returns how many points had a tie for nearest.</summary>
    private static int AssertTheorem(float[] points, double[] means, int k, string label)
    {
        int d = means.Length / k;
        int n = points.Length / d;
        double[] uniform = Enumerable.Repeat(1.0 / k, k).ToArray();
        var posterior = new double[n * k];
        GaussianMixtureEM.Responsibilities(points, means, 1.0, uniform, posterior);
        var hard = new int[n];
        HardEStep.Assign(new CentroidSet(means, k), points, hard, new float[n]);
        var delta = new int[n];
        GaussianMixtureEM.DeltaResponsibilities(points, means, 1.0, uniform, new double[n * k], delta);

        int ties = 0;
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<double> row = posterior.AsSpan(i * k, k);
            int argmaxPosterior = Argmax(row);
            int argminDistance = GeneratedData.Nearest(points.AsSpan(i * d, d), means, k);
            Assert.True(
                argmaxPosterior == argminDistance && argminDistance == hard[i] && hard[i] == delta[i],
                $"{label}, point {i}: argmax p = {argmaxPosterior}, argmin distance = {argminDistance}, HardEStep = {hard[i]}, delta E-step = {delta[i]}");
            ties += row.Count(row[argmaxPosterior]) > 1 ? 1 : 0;
        }

        return ties;
    }

    private static int Argmax(ReadOnlySpan<double> row)
    {
        int best = 0;
        for (int c = 1; c < row.Length; c++)
        {
            if (row[c] > row[best])
            {
                best = c;
            }
        }

        return best;
    }
}
