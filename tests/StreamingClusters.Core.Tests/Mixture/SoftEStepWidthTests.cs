using System.Runtime.Intrinsics;
using StreamingClusters.Mixture;
using StreamingClusters.Randomness;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Mixture;

/// <summary>
/// The soft E-step gives the same bits on the Vector512, Vector256 and scalar paths, so that a mixture's
/// snapshots do not depend on the machine. On a machine without AVX-512 (or run with
/// DOTNET_EnableAVX512=0) the 16-lane layout runs the scalar code, which the same assertions then cover.
/// </summary>
public sealed class SoftEStepWidthTests
{
    [Fact]
    public void ScoreAndAccumulate_RandomDataWithFarPoints_BitIdenticalOnEveryPath()
    {
        var random = new ModelRandom(29);
        for (int run = 0; run < 30; run++)
        {
            int k = 1 + random.NextInt32(70);
            int d = run < 2 ? 16 * (run + 1) : 1 + random.NextInt32(20);
            const int n = 300;
            (double[] means, double[] variances, double[] priors) = MixtureData.Overlapping(random, k, d);
            (float[] points, _) = MixtureData.Draw(random, means, variances, priors, n);
            for (int i = 0; i < n; i += 7)
            {
                // Some points a little out, some far out (log-densities of −10³ to −10⁶, either side of the
                // double-precision threshold), some very far.
                float scale = (i % 3) switch { 0 => 30f, 1 => 600f, _ => 1e5f };
                for (int j = 0; j < d; j++)
                {
                    points[(i * d) + j] += scale * (float)(random.NextDouble() - 0.5);
                }
            }

            Result[] results = [Run(means, variances, priors, points, n, 16), Run(means, variances, priors, points, n, 8), Run(means, variances, priors, points, n, 1)];
            foreach (Result other in results[1..])
            {
                Assert.Equal(results[0].Labels, other.Labels);
                Assert.Equal(Bits(results[0].LogLikelihoods), Bits(other.LogLikelihoods));
                Assert.Equal(Bits(results[0].Top), Bits(other.Top));
                Assert.Equal(results[0].Counts, other.Counts);
                Assert.Equal(Bits(results[0].Mass), Bits(other.Mass));
                Assert.Equal(Bits(results[0].First), Bits(other.First));
                Assert.Equal(Bits(results[0].Second), Bits(other.Second));
                Assert.Equal(BitConverter.DoubleToInt64Bits(results[0].LogLikelihood), BitConverter.DoubleToInt64Bits(other.LogLikelihood));
            }
        }
    }

    [Fact]
    public void SumLanes_RandomVectors_BitIdenticalToVector512Sum()
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return;
        }

        var random = new Random(31);
        var lanes = new float[16];
        for (int round = 0; round < 10_000; round++)
        {
            for (int l = 0; l < 16; l++)
            {
                lanes[l] = (float)(random.NextDouble() * Math.Pow(2, random.Next(-30, 5)));
            }

            var v = Vector512.Create(lanes);
            float expected = Vector512.Sum(v);
            float actual = SoftEStep.SumLanes(v.GetLower().GetLower(), v.GetLower().GetUpper(), v.GetUpper().GetLower(), v.GetUpper().GetUpper());
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual));
        }
    }

    [Fact]
    public void Exp_EveryWidth_SameBitsPerLane()
    {
        // The scalar path takes its exponentials from Vector128.Exp so that they are the vector paths'.
        var random = new Random(37);
        var values = new float[16];
        for (int round = 0; round < 20_000; round++)
        {
            for (int l = 0; l < 16; l++)
            {
                values[l] = (round % 10) switch
                {
                    0 => float.NegativeInfinity,
                    1 => -(float)(random.NextDouble() * 1e-6),
                    _ => -(float)(random.NextDouble() * Math.Pow(2, random.Next(-10, 8))),
                };
            }

            var wide = new float[16];
            Vector512.Exp(Vector512.Create(values)).CopyTo(wide);
            var half = new float[16];
            Vector256.Exp(Vector256.Create(values.AsSpan(0, 8))).CopyTo(half, 0);
            Vector256.Exp(Vector256.Create(values.AsSpan(8, 8))).CopyTo(half, 8);
            var quarter = new float[16];
            for (int q = 0; q < 16; q += 4)
            {
                Vector128.Exp(Vector128.Create(values.AsSpan(q, 4))).CopyTo(quarter, q);
            }

            Assert.Equal(Bits(wide), Bits(half));
            Assert.Equal(Bits(wide), Bits(quarter));
        }
    }

    private static Result Run(double[] means, double[] variances, double[] priors, float[] points, int n, int lanes)
    {
        var model = new MixtureComponents(means, variances, priors, 0, lanes);
        var labels = new int[n];
        var logLikelihoods = new float[n];
        var top = new float[n];
        SoftEStep.Score(model, points, labels, logLikelihoods, top);
        var statistics = new MixtureStatistics(priors.Length, means.Length / priors.Length);
        SoftEStep.Accumulate(model, points, statistics);
        return new Result(labels, logLikelihoods, top, statistics.Counts.ToArray(), statistics.Mass.ToArray(), statistics.First.ToArray(), statistics.Second.ToArray(), statistics.LogLikelihood);
    }

    private static int[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];

    private static long[] Bits(double[] values) => [.. values.Select(BitConverter.DoubleToInt64Bits)];

    private sealed record Result(int[] Labels, float[] LogLikelihoods, float[] Top, long[] Counts, double[] Mass, double[] First, double[] Second, double LogLikelihood);
}
