using StreamingClusters.Statistics;

namespace StreamingClusters.EStep;

/// <summary>The hard (k-means) E-step of one shard against one immutable model version.</summary>
/// <param name="model">The version every shard of the batch assigns against.</param>
/// <param name="pointsBounded">Whether the points passed an ingest check within <see cref="NearestCentroidKernel.BoundedMagnitude"/> (see <see cref="HardEStep"/>).</param>
public readonly struct HardEStepWork(CentroidSet model, bool pointsBounded = false) : IShardWork<ClusterStatistics>
{
    /// <summary>Gets the model version.</summary>
    public CentroidSet Model { get; } = model ?? throw new ArgumentNullException(nameof(model));

    /// <summary>Gets a value indicating whether the points are taken as already checked.</summary>
    public bool PointsBounded { get; } = pointsBounded;

    /// <inheritdoc/>
    public int Dimensions => Model.Dimensions;

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<float> points, ClusterStatistics statistics, Span<int> labels, Span<float> scores) =>
        HardEStep.Accumulate(Model, points, statistics, labels, scores, PointsBounded);
}
