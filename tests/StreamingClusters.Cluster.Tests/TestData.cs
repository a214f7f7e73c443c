using StreamingClusters.Cluster.Messages;
using StreamingClusters.EStep;
using StreamingClusters.Mixture;
using StreamingClusters.Model;
using StreamingClusters.MStep;
using StreamingClusters.Scaling;
using StreamingClusters.Statistics;

namespace StreamingClusters.Cluster.Tests;

/// <summary>Seeded blobs cut into batches, and the single-process model that is the reference.</summary>
internal static class TestData
{
    public static ClusterModelDefinition Definition(int clusters = 6, int dimensions = 4) => new()
    {
        Clusters = clusters,
        Dimensions = dimensions,
        Seed = 11,
        SeedingBufferSize = 300,
        HalfLifeValue = 2_000,
        HalfLifeUnit = HalfLifeUnit.Points,
        RefineIterations = 3,
        SeedingCandidates = 4,
        Repair = true,
    };

    /// <summary>
    /// Batches of points around <paramref name="clusters"/> centres, the same for the same seed; from batch
    /// <paramref name="narrowFrom"/> on, around the first half of the centres only (the others starve).
    /// </summary>
    public static float[][] Batches(int seed, int batches, int pointsPerBatch, int clusters, int dimensions, int narrowFrom = int.MaxValue)
    {
        var random = new Random(seed);
        double[] centres = [.. Enumerable.Range(0, clusters * dimensions).Select(_ => random.NextDouble() * 20)];
        var result = new float[batches][];
        for (int b = 0; b < batches; b++)
        {
            result[b] = new float[pointsPerBatch * dimensions];
            for (int i = 0; i < pointsPerBatch; i++)
            {
                int c = random.Next(b < narrowFrom ? clusters : Math.Max(1, clusters / 2));
                for (int j = 0; j < dimensions; j++)
                {
                    result[b][(i * dimensions) + j] = (float)(centres[(c * dimensions) + j] + random.NextDouble() - 0.5);
                }
            }
        }

        return result;
    }

    /// <summary>A single-process model stepped with the batches in order (the Core model directly).</summary>
    public static KMeansStreamingModel Reference(ClusterModelDefinition definition, IEnumerable<float[]> batches)
    {
        var runner = new SerialEStep<HardEStepWork, ClusterStatistics>(definition.Clusters, definition.Dimensions, definition.ShardSize, 100_000);
        var model = KMeansStreamingModel.Create(definition.ToSettings(), definition.ToOptions(), runner, TimeProvider.System, definition.InitialCentroids?.Values);
        foreach (float[] batch in batches)
        {
            model.Step(batch, batch.Length / definition.Dimensions);
        }

        return model;
    }

    /// <summary>
    /// The same batches with columns of very different units (column j times 1000, 0.01, 1, 50, … and
    /// shifted), so that a model of standardised columns differs from one of the columns as they come.
    /// </summary>
    public static float[][] UnevenBatches(int seed, int batches, int pointsPerBatch, int clusters, int dimensions, int narrowFrom = int.MaxValue)
    {
        double[] scale = [1000, 0.01, 1, 50];
        double[] shift = [5000, -3, 0, 100];
        float[][] result = Batches(seed, batches, pointsPerBatch, clusters, dimensions, narrowFrom);
        foreach (float[] batch in result)
        {
            for (int i = 0; i < batch.Length; i++)
            {
                int j = i % dimensions;
                batch[i] = (float)((batch[i] * scale[j % scale.Length]) + shift[j % shift.Length]);
            }
        }

        return result;
    }

    /// <summary>A single-process model of standardised columns (k-means inside), stepped with the batches in order.</summary>
    public static ScaledStreamingModel ScaledReference(ClusterModelDefinition definition, IEnumerable<float[]> batches)
    {
        var runner = new SerialEStep<HardEStepWork, ClusterStatistics>(definition.Clusters, definition.Dimensions, definition.ShardSize, 100_000);
        var inner = KMeansStreamingModel.Create(definition.ToSettings(), definition.ToOptions(), runner, TimeProvider.System);
        var model = new ScaledStreamingModel(inner, definition.SeedingBufferSize);
        foreach (float[] batch in batches)
        {
            model.Step(batch, batch.Length / definition.Dimensions);
        }

        return model;
    }

    /// <summary>A single-process Gaussian mixture stepped with the batches in order (the Core model directly).</summary>
    public static MixtureStreamingModel MixtureReference(ClusterModelDefinition definition, IEnumerable<float[]> batches)
    {
        var runner = new SerialEStep<SoftEStepWork, MixtureStatistics>(definition.Clusters, definition.Dimensions, definition.ShardSize, 100_000);
        var model = MixtureStreamingModel.Create(definition.ToSettings(), definition.ToMixtureOptions(), definition.ToOptions(), runner, TimeProvider.System);
        foreach (float[] batch in batches)
        {
            model.Step(batch, batch.Length / definition.Dimensions);
        }

        return model;
    }

    /// <summary>A state's JSON without the wall-clock time of its last batch: equal JSON is equal bits.</summary>
    public static string Comparable(StreamingModelState state) =>
        System.Text.Encoding.UTF8.GetString(ModelStateJson.Write(state with { LastApplied = null }));

    /// <summary>The same for a grain's persisted state (binary, or JSON written by an earlier version).</summary>
    public static string Comparable(byte[] state) => Comparable(ModelStateCodec.Read(state));
}
