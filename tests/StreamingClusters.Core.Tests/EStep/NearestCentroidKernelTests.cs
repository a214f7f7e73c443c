using System.Runtime.Intrinsics;
using StreamingClusters.EStep;

namespace StreamingClusters.Tests.EStep;

public class NearestCentroidKernelTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int lanes in VectorLanes())
        {
            foreach (int d in new[] { 1, 2, 3, 15, 16, 17, 128, 784 })
            {
                foreach (int k in new[] { 1, 7, 8, 9, 63, 64, 65, 130 })
                {
                    data.Add(lanes, d, k);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FindNearest_RandomShape_MatchesScalarBitForBit(int lanes, int d, int k)
    {
        var random = new Random((d * 1000) + k);
        double[] centroids = RandomValues(random, k * d);
        float[] points = RandomPoints(random, count: 37, d);

        AssertMatchesScalar(centroids, k, lanes, points);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FindNearest_DuplicatedCentroids_TiesGoToLowestIndex(int lanes, int d, int k)
    {
        var random = new Random((d * 1000) + k + 7);

        // Small integers make every product and sum exact, so duplicates score exactly the same; a few
        // centroids are also copied to later slots, across tiles and vectors.
        double[] centroids = new double[k * d];
        for (int i = 0; i < centroids.Length; i++)
        {
            centroids[i] = random.Next(-2, 3);
        }

        for (int c = k / 2; c < k; c += 3)
        {
            Array.Copy(centroids, (c % Math.Max(1, k / 2)) * d, centroids, c * d, d);
        }

        float[] points = new float[41 * d];
        for (int i = 0; i < points.Length; i++)
        {
            points[i] = random.Next(-2, 3);
        }

        var (nearest, _) = AssertMatchesScalar(centroids, k, lanes, points);
        var set = new CentroidSet(centroids, k, 0, lanes);
        for (int i = 0; i < nearest.Length; i++)
        {
            for (int c = 0; c < nearest[i]; c++)
            {
                Assert.False(set.Centroid(c).SequenceEqual(set.Centroid(nearest[i])), $"point {i}: centroid {c} duplicates the chosen {nearest[i]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FindNearest_PointsOnDuplicatedCentroids_PickFirstCopy(int lanes, int d, int k)
    {
        var random = new Random((d * 1000) + k + 13);
        double[] centroids = RandomValues(random, k * d);
        int last = k - 1;
        Array.Copy(centroids, 0, centroids, last * d, d);
        float[] points = new float[5 * d];
        for (int i = 0; i < 5; i++)
        {
            for (int j = 0; j < d; j++)
            {
                points[(i * d) + j] = (float)centroids[(last * d) + j];
            }
        }

        var (nearest, _) = AssertMatchesScalar(centroids, k, lanes, points);
        Assert.All(nearest, n => Assert.True(n == 0 || !new CentroidSet(centroids, k, 0, lanes).Centroid(0).SequenceEqual(new CentroidSet(centroids, k, 0, lanes).Centroid(n))));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(3e12f)]
    [InlineData(-1e30f)]
    public void FindNearest_WildPoints_MatchScalar(float wild)
    {
        foreach (int lanes in VectorLanes())
        {
            foreach (int k in new[] { 8, 64, 130 })
            {
                var random = new Random(k);
                const int d = 17;
                double[] centroids = RandomValues(random, k * d);
                float[] points = RandomPoints(random, count: 23, d);
                points[(3 * d) + 5] = wild;
                points[(16 * d) + 0] = wild;
                points[(22 * d) + 16] = wild;

                AssertMatchesScalar(centroids, k, lanes, points);
            }
        }
    }

    [Theory]
    [InlineData(784, 8)]
    [InlineData(784, 64)]
    [InlineData(128, 130)]
    public void FindNearest_BlockOfSeveralChunks_MatchesScalar(int d, int k)
    {
        foreach (int lanes in VectorLanes())
        {
            var random = new Random(d + k);
            double[] centroids = RandomValues(random, k * d);
            float[] points = RandomPoints(random, count: 1100, d);
            points[(1037 * d) + 3] = float.NaN;

            AssertMatchesScalar(centroids, k, lanes, points);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(95)]
    public void FindNearest_CountsAroundBlocksOf32_MatchScalar(int count)
    {
        // With k ≤ 8 the Vector512 path takes whole blocks of 32 points, the last one overlapping the
        // one before, and fewer than 32 points apart; d covers spans of 16 with and without a tail,
        // and the d at which the next block is fetched into L1 or into L2.
        foreach (int lanes in VectorLanes())
        {
            foreach (int d in new[] { 2, 16, 40, 128, 129 })
            {
                foreach (int k in new[] { 3, 8 })
                {
                    var random = new Random((count * 100) + d + k);
                    AssertMatchesScalar(RandomValues(random, k * d), k, lanes, RandomPoints(random, count, d));
                }
            }
        }
    }

    [Theory]
    [InlineData(784, 8, 200)]
    [InlineData(784, 3, 97)]
    [InlineData(128, 8, 1100)]
    [InlineData(16, 8, 33)]
    [InlineData(784, 64, 70)]
    public void FindNearest_TameNormsGiven_MatchesScalarBitForBit(int d, int k, int count)
    {
        // Tame norms send all the points through one call of the vector path instead of one per chunk
        // (at d = 784 a chunk holds 64 points): the results must not change.
        foreach (int lanes in VectorLanes())
        {
            var random = new Random((d * 7) + k + count);
            float[] points = RandomPoints(random, count, d);
            AssertMatchesScalar(RandomValues(random, k * d), k, lanes, points, SquaredNorms(points, d));
        }
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(3e12f)]
    public void FindNearest_WildPointAmongGivenNorms_MatchesScalar(float wild)
    {
        foreach (int lanes in VectorLanes())
        {
            foreach (int d in new[] { 17, 784 })
            {
                var random = new Random(d);
                const int k = 8;
                float[] points = RandomPoints(random, count: 150, d);
                points[(131 * d) + 5] = wild;
                float[] norms = SquaredNorms(points, d);

                AssertMatchesScalar(RandomValues(random, k * d), k, lanes, points, norms);
            }
        }
    }

    [Fact]
    public void FindNearest_HugeCentroid_MatchesScalar()
    {
        foreach (int lanes in VectorLanes())
        {
            var random = new Random(5);
            const int d = 16, k = 20;
            double[] centroids = RandomValues(random, k * d);
            centroids[(4 * d) + 3] = 1e25;
            AssertMatchesScalar(centroids, k, lanes, RandomPoints(random, 19, d));
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FindNearestBounded_RandomShape_MatchesScalarBitForBit(int lanes, int d, int k)
    {
        var random = new Random((d * 1000) + k + 1);
        double[] centroids = RandomValues(random, k * d);
        float[] points = RandomPoints(random, count: 37, d);

        AssertMatchesScalar(centroids, k, lanes, points, bounded: true);
    }

    [Theory]
    [InlineData(16, 8)]
    [InlineData(16, 64)]
    [InlineData(17, 130)]
    [InlineData(784, 8)]
    [InlineData(784, 64)]
    public void FindNearestBounded_PointsAtTheBoundAgainstCentroidsAtTheTameLimit_MatchScalarWithFiniteScores(int d, int k)
    {
        // The largest values the pipeline lets through (its ingest bound, at most 1e18) and the kernels'
        // own bound, against a model at the edge of tameness: every score must stay finite, so the vector
        // minima are exact and equal the scalar twin's.
        foreach (int lanes in VectorLanes())
        {
            var random = new Random(d + k);
            double[] centroids = RandomValues(random, k * d);
            for (int i = 0; i < centroids.Length; i += 3)
            {
                centroids[i] = (i % 2 == 0 ? 1 : -1) * NearestCentroidKernel.TameMagnitude;
            }

            float[] points = RandomPoints(random, count: 70, d);
            float[] extremes = [NearestCentroidKernel.BoundedMagnitude, -NearestCentroidKernel.BoundedMagnitude, 1e18f, -1e18f, 3e12f, float.Epsilon, -0f];
            for (int i = 0; i < points.Length; i += 2)
            {
                points[i] = extremes[(i / 2) % extremes.Length];
            }

            for (int j = 0; j < d; j++)
            {
                points[j] = NearestCentroidKernel.BoundedMagnitude;
            }

            var (_, scores) = AssertMatchesScalar(centroids, k, lanes, points, bounded: true);
            Assert.All(scores, score => Assert.True(float.IsFinite(score), $"score {score} is not finite"));
        }
    }

    [Fact]
    public void FindNearestBounded_WorstCaseAtTheLargestTameDimension_ScoresStayFinite()
    {
        // Every product at its largest and of one sign, over the most dimensions a tame model may have:
        // the case the bound is made for (dot products of 2^120, ‖μ‖² of 2^100).
        const int d = NearestCentroidKernel.MaxTameDimensions;
        double[] centroids = new double[2 * d];
        centroids.AsSpan(0, d).Fill(NearestCentroidKernel.TameMagnitude);
        centroids.AsSpan(d).Fill(-NearestCentroidKernel.TameMagnitude);
        float[] points = new float[3 * d];
        points.AsSpan(0, d).Fill(NearestCentroidKernel.BoundedMagnitude);
        points.AsSpan(d, d).Fill(-NearestCentroidKernel.BoundedMagnitude);
        for (int j = 0; j < d; j++)
        {
            points[(2 * d) + j] = j % 2 == 0 ? NearestCentroidKernel.BoundedMagnitude : -NearestCentroidKernel.BoundedMagnitude;
        }

        foreach (int lanes in VectorLanes())
        {
            var (nearest, scores) = AssertMatchesScalar(centroids, 2, lanes, points, bounded: true);
            Assert.Equal([0, 1, 0], nearest);
            Assert.All(scores, score => Assert.True(float.IsFinite(score), $"score {score} is not finite"));
        }
    }

    [Fact]
    public void FindNearest_EmptyBlock_WritesNothing()
    {
        var set = new CentroidSet(new double[] { 1, 2, 3, 4 }, clusters: 2);

        NearestCentroidKernel.FindNearest(set, ReadOnlySpan<float>.Empty, Span<int>.Empty, Span<float>.Empty);
    }

    private static IEnumerable<int> VectorLanes()
    {
        if (Vector512.IsHardwareAccelerated)
        {
            yield return 16;
        }

        if (Vector256.IsHardwareAccelerated)
        {
            yield return 8;
        }

        yield return 1;
    }

    private static (int[] Nearest, float[] Scores) AssertMatchesScalar(double[] centroids, int k, int lanes, float[] points, float[]? squaredNorms = null, bool bounded = false)
    {
        var set = new CentroidSet(centroids, k, 0, lanes);
        int count = points.Length / set.Dimensions;
        int[] expectedNearest = new int[count];
        float[] expectedScores = new float[count];
        NearestCentroidScalar.FindNearest(set, points, expectedNearest, expectedScores);

        // Slack past the end must stay untouched.
        int[] nearest = Enumerable.Repeat(-1, count + 3).ToArray();
        float[] scores = Enumerable.Repeat(-7f, count + 3).ToArray();
        if (bounded)
        {
            NearestCentroidKernel.FindNearestBounded(set, points, nearest, scores);
        }
        else
        {
            NearestCentroidKernel.FindNearest(set, points, nearest, scores, squaredNorms);
        }

        Assert.Equal(expectedNearest, nearest[..count]);
        Assert.Equal(
            expectedScores.Select(BitConverter.SingleToInt32Bits),
            scores[..count].Select(BitConverter.SingleToInt32Bits));
        Assert.Equal([-1, -1, -1], nearest[count..]);
        Assert.Equal([-7f, -7f, -7f], scores[count..]);
        return (nearest[..count], scores[..count]);
    }

    private static float[] SquaredNorms(float[] points, int d)
    {
        float[] norms = new float[points.Length / d];
        for (int i = 0; i < norms.Length; i++)
        {
            float norm = 0;
            for (int j = 0; j < d; j++)
            {
                norm = MathF.FusedMultiplyAdd(points[(i * d) + j], points[(i * d) + j], norm);
            }

            norms[i] = norm;
        }

        return norms;
    }

    private static double[] RandomValues(Random random, int length)
    {
        double[] values = new double[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (random.NextDouble() * 2) - 1;
        }

        return values;
    }

    private static float[] RandomPoints(Random random, int count, int d)
    {
        float[] points = new float[count * d];
        for (int i = 0; i < points.Length; i++)
        {
            points[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return points;
    }
}
