using StreamingClusters.EStep;
using StreamingClusters.Model;
using StreamingClusters.Statistics;

namespace StreamingClusters.Tests.Support;

/// <summary>Drives a model the way the pipeline does: hard E-step against the current version, then the M-step.</summary>
internal static class Streaming
{
    public static ModelUpdate Step(ClusterModel model, ReadOnlySpan<float> batch, double discount = 1.0)
    {
        var statistics = new ClusterStatistics(model.Clusters, model.Dimensions);
        HardEStep.Accumulate(model.Current, batch, statistics);
        return model.Apply(statistics, discount, batch);
    }

    /// <summary>Applies <paramref name="points"/> in batches of <paramref name="batchSize"/> points with discount 1.</summary>
    public static void StepAll(ClusterModel model, ReadOnlySpan<float> points, int batchSize)
    {
        int d = model.Dimensions;
        for (int start = 0; start < points.Length; start += batchSize * d)
        {
            Step(model, points.Slice(start, Math.Min(batchSize * d, points.Length - start)));
        }
    }
}
