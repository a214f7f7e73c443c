using System.Runtime.Intrinsics;
using StreamingClusters.EStep;
using StreamingClusters.Randomness;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.EStep;

/// <summary>The vectorised kernels against their scalar twin: same index, same score bits.</summary>
public class NearestCentroidKernelTests
{
    [Fact]
    public void FindNearest_RandomShapes_MatchesScalarBitForBit()
    {
        var random = new ModelRandom(2024);
        var paths = new HashSet<int>();
        for (int run = 0; run < 400; run++)
        {
            int d = random.NextInt32(10) == 0 ? 784 : 1 + random.NextInt32(40);
            int k = 1 + random.NextInt32(130);
            int n = 1 + random.NextInt32(d == 784 ? 8 : 40);
            var set = new CentroidSet(GeneratedData.GaussianAsDouble(random, k * d, 1 + random.NextInt32(5)), k);
            float[] points = GeneratedData.Gaussian(random, n * d, 3);

            paths.Add(AssertKernelsAgree(set, points, $"run {run} (d={d}, k={k}, n={n})"));
        }

        // Every kernel this machine can run was exercised.
        Assert.Equal(Vector256.IsHardwareAccelerated, paths.Contains(8));
        Assert.Equal(Vector512.IsHardwareAccelerated, paths.Contains(16));
    }

    [Fact]
    public void FindNearest_DuplicatedCentroids_LowestIndexWinsOnEveryPath()
    {
        var random = new ModelRandom(77);
        for (int run = 0; run < 300; run++)
        {
            int d = random.NextInt32(8) == 0 ? 784 : 1 + random.NextInt32(40);
            int k = 2 + random.NextInt32(129);
            double[] centroids = GeneratedData.GaussianAsDouble(random, k * d, 4);

            // Copy some centroids over later ones (across lanes, tiles and the remainder tile).
            int copies = 1 + random.NextInt32(Math.Max(1, k / 3));
            for (int i = 0; i < copies; i++)
            {
                int to = 1 + random.NextInt32(k - 1);
                int from = random.NextInt32(to);
                Array.Copy(centroids, from * d, centroids, to * d, d);
            }

            var set = new CentroidSet(centroids, k);

            // Points exactly on centroids (so on both copies of a duplicate), and a few elsewhere.
            int n = 1 + random.NextInt32(24);
            var points = new float[n * d];
            var source = new int[n];
            for (int i = 0; i < n; i++)
            {
                source[i] = random.NextInt32(k);
                set.Centroid(source[i]).CopyTo(points.AsSpan(i * d, d));
            }

            AssertKernelsAgree(set, points, $"run {run} (d={d}, k={k})");

            var nearest = new int[n];
            var scores = new float[n];
            NearestCentroidKernel.FindNearest(set, points, nearest, scores);
            for (int i = 0; i < n; i++)
            {
                // The winner carries the point's exact coordinates, and no lower index does.
                int first = FirstIdentical(set, nearest[i]);
                Assert.Equal(first, nearest[i]);
            }
        }
    }

    [Fact]
    public void FindNearest_AllCentroidsEqual_ReturnsZero()
    {
        foreach (int k in new[] { 1, 7, 8, 9, 16, 17, 64, 65, 130 })
        {
            var set = new CentroidSet(Enumerable.Repeat(1.5, k * 3).ToArray(), k);
            var nearest = new int[2];
            NearestCentroidKernel.FindNearest(set, [1f, 2f, 3f, -1f, 0f, 9f], nearest, new float[2]);
            Assert.Equal([0, 0], nearest);
        }
    }

    /// <summary>Runs the dispatcher and the vector kernel for this layout against the scalar twin; returns the lane width used.</summary>
    private static int AssertKernelsAgree(CentroidSet set, float[] points, string label)
    {
        int n = points.Length / set.Dimensions;
        var expectedNearest = new int[n];
        var expectedScores = new float[n];
        NearestCentroidScalar.FindNearest(set, points, expectedNearest, expectedScores);

        var nearest = new int[n];
        var scores = new float[n];
        NearestCentroidKernel.FindNearest(set, points, nearest, scores);
        AssertSame(expectedNearest, expectedScores, nearest, scores, $"{label}, dispatcher");

        if (set.Lanes == 16 && Vector512.IsHardwareAccelerated)
        {
            Array.Clear(nearest);
            Array.Clear(scores);
            NearestCentroidVector512.FindNearest(set, points, nearest, scores);
            AssertSame(expectedNearest, expectedScores, nearest, scores, $"{label}, Vector512");
        }
        else if (set.Lanes == 8 && Vector256.IsHardwareAccelerated)
        {
            Array.Clear(nearest);
            Array.Clear(scores);
            NearestCentroidVector256.FindNearest(set, points, nearest, scores);
            AssertSame(expectedNearest, expectedScores, nearest, scores, $"{label}, Vector256");
        }

        return set.Lanes;
    }

    private static void AssertSame(int[] expectedNearest, float[] expectedScores, int[] nearest, float[] scores, string label)
    {
        for (int i = 0; i < expectedNearest.Length; i++)
        {
            if (expectedNearest[i] != nearest[i]
                || BitConverter.SingleToInt32Bits(expectedScores[i]) != BitConverter.SingleToInt32Bits(scores[i]))
            {
                Assert.Fail($"{label}, point {i}: scalar gave ({expectedNearest[i]}, {expectedScores[i]:R}), kernel gave ({nearest[i]}, {scores[i]:R}).");
            }
        }
    }

    private static int FirstIdentical(CentroidSet set, int cluster)
    {
        for (int c = 0; c < cluster; c++)
        {
            if (Bitwise.Equal(set.Centroid(c), set.Centroid(cluster)))
            {
                return c;
            }
        }

        return cluster;
    }
}
