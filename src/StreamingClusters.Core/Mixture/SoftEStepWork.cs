namespace StreamingClusters.Mixture;

/// <summary>The soft (mixture) E-step of one shard against one immutable model version.</summary>
/// <param name="model">The version every shard of the batch assigns against.</param>
public readonly struct SoftEStepWork(MixtureComponents model) : EStep.IShardWork<MixtureStatistics>
{
    /// <summary>Gets the model version.</summary>
    public MixtureComponents Model { get; } = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc/>
    public int Dimensions => Model.Dimensions;

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<float> points, MixtureStatistics statistics, Span<int> labels, Span<float> scores) =>
        SoftEStep.Accumulate(Model, points, statistics, labels, scores);
}
