using StreamingClusters.EStep;
using StreamingClusters.Statistics;

namespace StreamingClusters.Model;

/// <summary>
/// Streaming mini-batch k-means: hard EM on a mixture of unit spheres (the E-step assigns each point to
/// its nearest centroid, the M-step moves each centroid to the discounted mean of its points) with
/// starved clusters reseeded. The parameters and the M-step are a <see cref="ClusterModel"/>'s.
/// </summary>
public sealed class KMeansStreamingModel : StreamingModel<HardEStepWork, ClusterStatistics>
{
    private readonly ClusterModel _model;

    private KMeansStreamingModel(ClusterModel model, StreamingModelOptions options, IEStepRunner<HardEStepWork, ClusterStatistics> runner, TimeProvider time, StreamingModelState? restored)
        : base(model.Clusters, model.Dimensions, options, runner, time, restored)
    {
        _model = model;
    }

    /// <inheritdoc/>
    public override bool IsSeeded => _model.IsSeeded;

    /// <inheritdoc/>
    public override long Version => _model.Version;

    /// <inheritdoc/>
    public override CentroidSet? Current => _model.Published;

    /// <inheritdoc/>
    public override ReadOnlySpan<double> Centroids => _model.Centroids;

    /// <inheritdoc/>
    public override ReadOnlySpan<double> Weights => _model.Weights;

    /// <inheritdoc/>
    public override ReadOnlySpan<double> Inertia => _model.Inertia;

    /// <inheritdoc/>
    public override ReadOnlySpan<long> Ids => _model.Ids;

    /// <inheritdoc/>
    public override IReadOnlyCollection<ClusterEvent> RecentEvents => _model.RecentEvents;

    /// <summary>Creates a model that seeds on the first points, or starts from configured centroids.</summary>
    /// <param name="settings">The model's shape and options.</param>
    /// <param name="options">How the stream is treated.</param>
    /// <param name="runner">Runs the E-step.</param>
    /// <param name="time">The clock of time half-lives.</param>
    /// <param name="centroids">k × d configured centroids, or null to seed on the first points.</param>
    /// <returns>The model.</returns>
    public static KMeansStreamingModel Create(
        ModelSettings settings, StreamingModelOptions options, IEStepRunner<HardEStepWork, ClusterStatistics> runner, TimeProvider time, double[]? centroids = null)
    {
        var model = new ClusterModel(settings);
        if (centroids is not null)
        {
            model.SetCentroids(centroids);
        }

        return new KMeansStreamingModel(model, options, runner, time, restored: null);
    }

    /// <summary>Restores a model from its state, under the options now in force.</summary>
    /// <param name="state">A state taken by <see cref="StreamingModel{TWork, TStatistics}.ToState"/>, of the shape of <paramref name="settings"/>.</param>
    /// <param name="settings">The settings in force (the state's shape was checked against them).</param>
    /// <param name="options">How the stream is treated.</param>
    /// <param name="runner">Runs the E-step.</param>
    /// <param name="time">The clock of time half-lives.</param>
    /// <returns>A model that goes on exactly where the state was taken.</returns>
    public static KMeansStreamingModel Restore(
        StreamingModelState state, ModelSettings settings, StreamingModelOptions options, IEStepRunner<HardEStepWork, ClusterStatistics> runner, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(state);
        ClusterModel model = ClusterModel.Restore(state.Model with { Settings = settings });
        return new KMeansStreamingModel(model, options, runner, time, state);
    }

    /// <inheritdoc/>
    public override long Score(ReadOnlySpan<float> points, Span<int> labels, Span<float> scores)
    {
        CentroidSet model = _model.Published ?? throw new InvalidOperationException("The model is not seeded yet.");
        HardEStep.Assign(model, points, labels, scores);
        return model.Version;
    }

    /// <inheritdoc/>
    protected override HardEStepWork CreateWork() => new(_model.Current, Options.PointsBounded);

    /// <inheritdoc/>
    protected override void Seed(ReadOnlySpan<float> buffer) => _model.Seed(buffer, Options.SeedingParallelism);

    /// <inheritdoc/>
    protected override ModelUpdate Update(ClusterStatistics statistics, double discount, ReadOnlySpan<float> points) =>
        _model.Apply(statistics, discount, points);

    /// <inheritdoc/>
    protected override ClusterModelState ParameterState() => _model.ToState();
}
