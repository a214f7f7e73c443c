namespace StreamingClusters.Models;

/// <summary>A model's shape, its limits on records and its progress, as <see cref="IModelCatalog.ListAsync"/> and <see cref="IModelHandle.DescribeAsync"/> give them.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Clusters">k.</param>
/// <param name="Dimensions">d: configured, or learnt from the first valid point; 0 until then.</param>
/// <param name="Model">The kind of model: <c>KMeans</c> or <c>GaussianMixture</c>.</param>
/// <param name="Version">The latest snapshot's version, or −1 before seeding.</param>
/// <param name="PointsApplied">Points applied to the model, every source together.</param>
/// <param name="PointsRejected">Records rejected and dead-lettered, every source together.</param>
/// <param name="MaxRecordLength">The longest record, in characters, the model parses (<c>MaxRecordLength</c>).</param>
/// <param name="MaxAbsoluteValue">The largest absolute coordinate the model accepts (<c>MaxAbsoluteValue</c>).</param>
public sealed record ModelInfo(
    string Name,
    int Clusters,
    int Dimensions,
    string Model,
    long Version,
    long PointsApplied,
    long PointsRejected,
    int MaxRecordLength,
    double MaxAbsoluteValue);
