using System.Runtime.Intrinsics;
using StreamingClusters.EStep;

namespace StreamingClusters.Tests.EStep;

public class SquaredSums16Tests
{
    public static TheoryData<int, int> Shapes()
    {
        var data = new TheoryData<int, int>();
        foreach (int d in new[] { 1, 2, 15, 16, 17, 31, 32, 33, 48, 63, 64, 100, 784 })
        {
            foreach (int count in new[] { 0, 1, 15, 16, 17, 47, 256 })
            {
                data.Add(d, count);
            }
        }

        return data;
    }

    [Fact]
    public void SumOfHalves_RandomVectors_BitIdenticalToVector512Sum()
    {
        // The AVX2 paths add a Vector512's lanes as two Vector256 halves; on a machine with AVX-512 this
        // holds them to Vector512.Sum, so both kinds of machine give the same bits.
        var random = new Random(21);
        for (int round = 0; round < 10_000; round++)
        {
            var lanes = new float[16];
            for (int l = 0; l < 16; l++)
            {
                lanes[l] = (float)((random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-20, 20)));
            }

            var lower = Vector256.Create(lanes.AsSpan(0, 8));
            var upper = Vector256.Create(lanes.AsSpan(8, 8));
            float expected = Vector512.Sum(Vector512.Create(lower, upper));
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(HardEStep.SumOfHalves(lower, upper)));
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SquaredNorms_AnyShape_BitIdenticalToPointByPoint(int d, int count)
    {
        float[] points = RandomPoints(new Random((d * 1000) + count), count, d);
        var norms = new float[count];

        SquaredSums16.SquaredNorms(points, d, norms);

        for (int i = 0; i < count; i++)
        {
            float expected = HardEStep.SquaredNorm(points.AsSpan(i * d, d));
            Assert.True(
                BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(norms[i]),
                $"point {i}: {norms[i]:R} instead of {expected:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SquaredDifferences_AnyShape_BitIdenticalToPointByPoint(int d, int count)
    {
        const int K = 9;
        var random = new Random((d * 1000) + count + 1);
        float[] points = RandomPoints(random, count, d);
        float[] centroids = RandomPoints(random, K, d);
        int[] nearest = Enumerable.Range(0, count).Select(_ => random.Next(K)).ToArray();
        var distances = new float[count];

        SquaredSums16.SquaredDifferences(points, d, centroids, nearest, distances);

        for (int i = 0; i < count; i++)
        {
            float expected = HardEStep.SquaredDifference(points.AsSpan(i * d, d), centroids.AsSpan(nearest[i] * d, d));
            Assert.True(
                BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(distances[i]),
                $"point {i}: {distances[i]:R} instead of {expected:R}");
        }
    }

    [Fact]
    public void SquaredNorms_ManyRandomGroups_BitIdenticalToPointByPoint()
    {
        // Sums whose rounding depends on the order of the additions: values spread over six decades.
        const int D = 16, Count = 16 * 4096;
        float[] points = RandomPoints(new Random(5), Count, D);
        var norms = new float[Count];

        SquaredSums16.SquaredNorms(points, D, norms);

        int differing = Enumerable.Range(0, Count)
            .Count(i => BitConverter.SingleToInt32Bits(HardEStep.SquaredNorm(points.AsSpan(i * D, D))) != BitConverter.SingleToInt32Bits(norms[i]));
        Assert.Equal(0, differing);
    }

    [Fact]
    public void SquaredDifferences_NonFiniteValues_PropagateAsPointByPoint()
    {
        const int D = 16;
        float[] points = RandomPoints(new Random(9), 16, D);
        points[3 * D] = float.NaN;
        points[(7 * D) + 5] = float.PositiveInfinity;
        float[] centroids = RandomPoints(new Random(10), 2, D);
        int[] nearest = new int[16];
        var distances = new float[16];

        SquaredSums16.SquaredDifferences(points, D, centroids, nearest, distances);

        Assert.True(float.IsNaN(distances[3]));
        Assert.True(float.IsPositiveInfinity(distances[7]));
        Assert.True(float.IsFinite(distances[0]));
    }

    private static float[] RandomPoints(Random random, int count, int d)
    {
        var values = new float[count * d];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 4)));
        }

        return values;
    }
}
