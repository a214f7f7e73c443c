using StreamingClusters.EStep;
using StreamingClusters.Model;

namespace StreamingClusters.Mixture;

/// <summary>
/// Streaming soft EM for a Gaussian mixture with diagonal covariances and learnt priors: the E-step gives
/// each point its responsibilities (<see cref="SoftEStep"/>), the M-step folds the batch's statistics in
/// with the stream's discount (<see cref="GaussianMixtureModel"/>). Scores are log-likelihoods; labels the
/// most likely component. The same loop, runners, checkpoint and snapshots as k-means.
/// </summary>
public sealed class MixtureStreamingModel : StreamingModel<SoftEStepWork, MixtureStatistics>
{
    private readonly GaussianMixtureModel _model;

    /// <summary>The means as a centroid set, made when a reader asks for a version's (not each batch).</summary>
    private volatile CentroidSet? _centroids;

    private MixtureStreamingModel(GaussianMixtureModel model, StreamingModelOptions options, IEStepRunner<SoftEStepWork, MixtureStatistics> runner, TimeProvider time, StreamingModelState? restored)
        : base(model.Clusters, model.Dimensions, options, runner, time, restored)
    {
        _model = model;
    }

    /// <summary>Gets the mixture's parameters.</summary>
    public GaussianMixtureModel Mixture => _model;

    /// <inheritdoc/>
    public override bool IsSeeded => _model.IsSeeded;

    /// <inheritdoc/>
    public override long Version => _model.Version;

    /// <summary>Gets the means of the version scorers read, as centroids; null before seeding. Made from the published version on first reading, once per version.</summary>
    public override CentroidSet? Current
    {
        get
        {
            MixtureComponents? published = _model.Published;
            if (published is null)
            {
                return null;
            }

            CentroidSet? centroids = _centroids;
            if (centroids is null || centroids.Version != published.Version)
            {
                centroids = new CentroidSet(published.MeansDouble, published.Clusters, published.Version);
                _centroids = centroids;
            }

            return centroids;
        }
    }

    /// <inheritdoc/>
    public override long? CurrentVersion => _model.Published?.Version;

    /// <summary>Gets the means, k × d, row-major.</summary>
    public override ReadOnlySpan<double> Centroids => _model.Means;

    /// <summary>Gets each component's discounted mass.</summary>
    public override ReadOnlySpan<double> Weights => _model.Weights;

    /// <summary>Gets each component's discounted soft squared error w_c Σ_j σ²_cj.</summary>
    public override ReadOnlySpan<double> Inertia => _model.Inertia;

    /// <inheritdoc/>
    public override ReadOnlySpan<long> Ids => _model.Ids;

    /// <inheritdoc/>
    public override IReadOnlyCollection<ClusterEvent> RecentEvents => _model.RecentEvents;

    /// <summary>Gets <see cref="ScoreKind.LogLikelihood"/>.</summary>
    public override ScoreKind ScoreKind => ScoreKind.LogLikelihood;

    /// <summary>Gets each component's variances, k × d, row-major.</summary>
    public override ReadOnlySpan<double> Variances => _model.Variances;

    /// <summary>Gets each component's prior.</summary>
    public override ReadOnlySpan<double> Priors => _model.Priors;

    /// <summary>Gets the stream's discounted mean log-likelihood per point, or null before any point is applied.</summary>
    public override double? MeanLogLikelihood => _model.MeanLogLikelihood;

    /// <summary>Creates a mixture that seeds on the first points.</summary>
    /// <param name="settings">The shape and the choices shared with k-means.</param>
    /// <param name="mixture">The mixture's own choices.</param>
    /// <param name="options">How the stream is treated.</param>
    /// <param name="runner">Runs the E-step.</param>
    /// <param name="time">The clock of time half-lives.</param>
    /// <returns>The model.</returns>
    public static MixtureStreamingModel Create(
        ModelSettings settings, MixtureOptions mixture, StreamingModelOptions options, IEStepRunner<SoftEStepWork, MixtureStatistics> runner, TimeProvider time) =>
        new(new GaussianMixtureModel(settings, mixture), options, runner, time, restored: null);

    /// <summary>Restores a mixture from its state, under the options now in force.</summary>
    /// <param name="state">A state taken by <see cref="StreamingModel{TWork, TStatistics}.ToState"/>, with its <see cref="StreamingModelState.Mixture"/>.</param>
    /// <param name="settings">The settings in force (the state's shape was checked against them).</param>
    /// <param name="mixture">The mixture's own choices.</param>
    /// <param name="options">How the stream is treated.</param>
    /// <param name="runner">Runs the E-step.</param>
    /// <param name="time">The clock of time half-lives.</param>
    /// <returns>A model that goes on exactly where the state was taken.</returns>
    public static MixtureStreamingModel Restore(
        StreamingModelState state, ModelSettings settings, MixtureOptions mixture, StreamingModelOptions options, IEStepRunner<SoftEStepWork, MixtureStatistics> runner, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(state);
        MixtureState parameters = state.Mixture ?? throw new ArgumentException("The state is a k-means model's, not a mixture's.", nameof(state));
        var model = GaussianMixtureModel.Restore(state.Model with { Settings = settings }, parameters, mixture);
        return new MixtureStreamingModel(model, options, runner, time, state);
    }

    /// <summary>Scores points: each one's most likely component and its log-likelihood.</summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="labels">n slots for each point's most likely component.</param>
    /// <param name="scores">n slots for each point's log-likelihood.</param>
    /// <returns>The version scored against.</returns>
    public override long Score(ReadOnlySpan<float> points, Span<int> labels, Span<float> scores) => Score(points, labels, scores, default);

    /// <summary>Scores points: each one's most likely component, its responsibility, and the point's log-likelihood.</summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="labels">n slots for each point's most likely component.</param>
    /// <param name="scores">n slots for each point's log-likelihood.</param>
    /// <param name="responsibilities">Empty, or n slots for the responsibility of each point's most likely component.</param>
    /// <returns>The version scored against.</returns>
    /// <exception cref="InvalidOperationException">The model is not seeded yet.</exception>
    public override long Score(ReadOnlySpan<float> points, Span<int> labels, Span<float> scores, Span<float> responsibilities)
    {
        MixtureComponents model = _model.Published ?? throw new InvalidOperationException("The model is not seeded yet.");
        SoftEStep.Score(model, points, labels, scores, responsibilities);
        return model.Version;
    }

    /// <inheritdoc/>
    protected override SoftEStepWork CreateWork() => new(_model.Current);

    /// <inheritdoc/>
    protected override void Seed(ReadOnlySpan<float> buffer)
    {
        _model.Seed(buffer, Options.SeedingParallelism);
    }

    /// <inheritdoc/>
    protected override ModelUpdate Update(MixtureStatistics statistics, double discount, ReadOnlySpan<float> points)
    {
        return _model.Apply(statistics, discount, points);
    }

    /// <inheritdoc/>
    protected override ClusterModelState ParameterState() => _model.ToState();

    /// <inheritdoc/>
    protected override StreamingModelState CompleteState(StreamingModelState state) => state with { Mixture = _model.ToMixtureState() };
}
