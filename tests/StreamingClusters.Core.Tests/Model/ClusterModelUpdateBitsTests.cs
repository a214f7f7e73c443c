using System.Runtime.InteropServices;
using System.Security.Cryptography;
using StreamingClusters.Model;
using StreamingClusters.Randomness;
using StreamingClusters.Statistics;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Model;

/// <summary>
/// The M-step's arithmetic, bit for bit: the vectorised update against the formula evaluated one value
/// at a time, w' = a·w + n, e' = a·e + e_batch, μ' = (a·w·μ + s) / w', and a pinned hash of a seeded run.
/// </summary>
public class ClusterModelUpdateBitsTests
{
    [Theory]
    [InlineData(64, 16)]
    [InlineData(8, 16)]
    [InlineData(5, 1)]
    [InlineData(7, 2)]
    [InlineData(9, 7)]
    [InlineData(3, 8)]
    [InlineData(33, 9)]
    [InlineData(4, 17)]
    [InlineData(2, 40)]
    public void Apply_RandomStatistics_MatchesTheScalarFormulaBitForBit(int k, int d)
    {
        var random = new ModelRandom((ulong)((k * 7919) + d));
        var model = new ClusterModel(new ModelSettings(k, d) { ReseedRatio = 0 });
        double[] centroids = GeneratedData.GaussianAsDouble(random, k * d, 5);
        model.SetCentroids(centroids);
        double[] weights = new double[k];
        double[] inertia = new double[k];
        for (int step = 0; step < 40; step++)
        {
            double discount = step % 5 == 0 ? 1.0 : 0.5 + (0.5 * random.NextDouble());
            ClusterStatistics statistics = RandomStatistics(random, k, d);
            model.Apply(statistics, discount, []);

            for (int c = 0; c < k; c++)
            {
                long n = statistics.Counts[c];
                double kept = discount * weights[c];
                double w = kept + n;
                weights[c] = w;
                inertia[c] = (discount * inertia[c]) + statistics.SquaredErrors[c];
                if (n == 0 || w <= 0)
                {
                    continue;
                }

                for (int j = 0; j < d; j++)
                {
                    centroids[(c * d) + j] = ((kept * centroids[(c * d) + j]) + statistics.Sums[(c * d) + j]) / w;
                }
            }

            Bitwise.AssertEqual(centroids, model.Centroids, $"step {step}: centroids");
            Bitwise.AssertEqual(weights, model.Weights, $"step {step}: weights");
            Bitwise.AssertEqual(inertia, model.Inertia, $"step {step}: inertia");
            Assert.True(Bitwise.Equal(Array.ConvertAll(centroids, v => (float)v), model.Current.Centroids), $"step {step}: version");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(63)]
    public void Apply_OneCoordinateOverflows_NamesItsClusterAndKeepsTheModel(int cluster)
    {
        const int K = 64, D = 16;
        var model = new ClusterModel(new ModelSettings(K, D) { ReseedRatio = 0 });
        model.SetCentroids(new double[K * D]);
        var first = new ClusterStatistics(K, D);
        first.Counts.Fill(1);
        first.Sums.Fill(1e308);
        model.Apply(first, 1.0, []);
        ClusterModelState before = model.ToState();

        var statistics = new ClusterStatistics(K, D);
        statistics.Counts[cluster] = 1;
        statistics.Sums[(cluster * D) + 11] = 1e308;
        var error = Assert.Throws<NonFiniteModelException>(() => model.Apply(statistics, 1.0, []));

        Assert.Equal(cluster, error.Cluster);
        Bitwise.AssertEqual(before, model.ToState());
        Assert.Equal(1, model.Current.Version);

        // The refused step left nothing behind: the next good one gives what it gives from the state.
        ClusterModel twin = ClusterModel.Restore(before);
        ClusterStatistics good = RandomStatistics(new ModelRandom(5), K, D);
        model.Apply(good, 0.9, []);
        twin.Apply(good, 0.9, []);
        Bitwise.AssertEqual(twin.ToState(), model.ToState());
    }

    /// <summary>
    /// Seeded statistics (empty clusters, discounts) applied to seeded centroids end in exactly the
    /// state this release reaches: a hash of its centroids, weights, inertia and last version. The
    /// statistics are made here, not by the E-step, so that the hash pins the M-step alone.
    /// </summary>
    [Fact]
    public void Apply_SeededStatistics_KeepsThePinnedBits()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach ((int k, int d) in new[] { (64, 16), (8, 16), (5, 3), (20, 33) })
        {
            var random = new ModelRandom((ulong)((k * 31) + d));
            var model = new ClusterModel(new ModelSettings(k, d) { ReseedRatio = 0 });
            model.SetCentroids(GeneratedData.GaussianAsDouble(random, k * d, 3));
            for (int step = 0; step < 25; step++)
            {
                model.Apply(RandomStatistics(random, k, d), 0.75 + (0.25 * random.NextDouble()), []);
            }

            ClusterModelState state = model.ToState();
            hash.AppendData(MemoryMarshal.AsBytes(state.Centroids.AsSpan()));
            hash.AppendData(MemoryMarshal.AsBytes(state.Weights.AsSpan()));
            hash.AppendData(MemoryMarshal.AsBytes(state.Inertia.AsSpan()));
            hash.AppendData(MemoryMarshal.AsBytes(model.Current.Centroids));
        }

        Assert.Equal("72CFB941DA2CC60282CF25B20BF321A76CA8B9F811F78F521D21E0D549A01C7B", Convert.ToHexString(hash.GetHashAndReset()));
    }

    /// <summary>Statistics as a batch would give them: some clusters empty, sums near count × a centre.</summary>
    private static ClusterStatistics RandomStatistics(ModelRandom random, int k, int d)
    {
        var statistics = new ClusterStatistics(k, d);
        for (int c = 0; c < k; c++)
        {
            long n = random.NextInt32(4) == 0 ? 0 : 1 + random.NextInt32(50);
            statistics.Counts[c] = n;
            statistics.SquaredErrors[c] = n * random.NextDouble() * 4;
            for (int j = 0; j < d; j++)
            {
                statistics.Sums[(c * d) + j] = n == 0 ? 0 : n * ((3 * random.NextGaussian()) + 0.1);
            }
        }

        return statistics;
    }
}
