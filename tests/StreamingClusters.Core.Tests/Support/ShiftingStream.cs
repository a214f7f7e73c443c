using StreamingClusters.Model;
using StreamingClusters.Randomness;

namespace StreamingClusters.Tests.Support;

/// <summary>
/// A stream whose support changes: the seeding buffer covers six blobs, the batches alternate
/// between the first three and the last three every ten batches, so with forgetting the clusters
/// left behind starve and are reseeded again and again.
/// </summary>
internal static class ShiftingStream
{
    public const int Clusters = 6;
    public const int Dimensions = 3;
    public const double Discount = 0.5;

    public static (float[] Buffer, float[][] Batches) Create(int batches = 60, int batchSize = 200)
    {
        var random = new ModelRandom(8080);
        double[] centres = GeneratedData.GaussianAsDouble(random, Clusters * Dimensions, 20);
        float[] buffer = GeneratedData.SeparatedPoints(random, centres, Clusters, 600, spread: 1);
        double[][] halves = [centres[..(3 * Dimensions)], centres[(3 * Dimensions)..]];
        float[][] stream = Enumerable.Range(0, batches)
            .Select(b => GeneratedData.SeparatedPoints(random, halves[b / 10 % 2], 3, batchSize, spread: 1))
            .ToArray();
        return (buffer, stream);
    }

    public static ClusterModel Seeded(ulong seed, float[] buffer)
    {
        var model = new ClusterModel(new ModelSettings(Clusters, Dimensions) { Seed = seed });
        model.Seed(buffer);
        Streaming.Step(model, buffer);
        return model;
    }

    /// <summary>Applies the batches with the stream's discount; returns the number of reseeds.</summary>
    public static int Run(ClusterModel model, IEnumerable<float[]> batches) =>
        batches.Sum(batch => Streaming.Step(model, batch, Discount).Reseeds.Count);
}
