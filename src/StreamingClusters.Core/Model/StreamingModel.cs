using StreamingClusters.EStep;
using StreamingClusters.Statistics;

namespace StreamingClusters.Model;

/// <summary>
/// The streaming EM loop, written once (cf. scikit-learn's BaseMixture): the seeding buffer, the
/// E-step through a runner, the discount, the M-step and the per-cluster counts. A model class supplies
/// only its shard work (the E-step against its current version), its seeding and its update.
/// </summary>
/// <typeparam name="TWork">The model's E-step of one shard.</typeparam>
/// <typeparam name="TStatistics">The model's sufficient statistics.</typeparam>
public abstract class StreamingModel<TWork, TStatistics> : IStreamingModel
    where TWork : struct, IShardWork<TStatistics>
    where TStatistics : class, IShardStatistics<TStatistics>
{
    private readonly IEStepRunner<TWork, TStatistics> _runner;
    private readonly TimeProvider _time;
    private readonly long[] _counts;

    /// <summary>The first points, row-major, until the model is seeded on them; then null.</summary>
    private float[]? _seedBuffer;
    private int _buffered;

    /// <summary>The points of the last step that applied or refused any: a batch's buffer, or the seeding buffer.</summary>
    private float[] _stepPoints = [];
    private int _stepCount;
    private bool _stepApplied;
    private DateTimeOffset? _lastApplied;

    /// <summary>Sets up the loop around a model class's parameters.</summary>
    /// <param name="clusters">k.</param>
    /// <param name="dimensions">d.</param>
    /// <param name="options">How the stream is treated.</param>
    /// <param name="runner">Runs the E-step; its largest batch must hold the seeding buffer and one batch more.</param>
    /// <param name="time">The clock of time half-lives.</param>
    /// <param name="restored">The counts and last application time of a restored model, or null for a new one.</param>
    protected StreamingModel(int clusters, int dimensions, StreamingModelOptions options, IEStepRunner<TWork, TStatistics> runner, TimeProvider time, StreamingModelState? restored)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(time);
        Options = options;
        _runner = runner;
        _time = time;
        _counts = new long[clusters];
        if (restored is not null)
        {
            restored.Counts.CopyTo(_counts, 0);
            _lastApplied = restored.LastApplied;
        }

        Clusters = clusters;
        Dimensions = dimensions;
    }

    /// <summary>Gets how the stream is treated.</summary>
    public StreamingModelOptions Options { get; }

    /// <inheritdoc/>
    public int Clusters { get; }

    /// <inheritdoc/>
    public int Dimensions { get; }

    /// <inheritdoc/>
    public abstract bool IsSeeded { get; }

    /// <inheritdoc/>
    public abstract long Version { get; }

    /// <inheritdoc/>
    public abstract CentroidSet? Current { get; }

    /// <inheritdoc/>
    public virtual long? CurrentVersion => Current?.Version;

    /// <inheritdoc/>
    public abstract ReadOnlySpan<double> Centroids { get; }

    /// <inheritdoc/>
    public abstract ReadOnlySpan<double> Weights { get; }

    /// <inheritdoc/>
    public abstract ReadOnlySpan<double> Inertia { get; }

    /// <inheritdoc/>
    public ReadOnlySpan<long> Counts => _counts;

    /// <inheritdoc/>
    public abstract ReadOnlySpan<long> Ids { get; }

    /// <inheritdoc/>
    public ModelUpdate? LastUpdate { get; private set; }

    /// <inheritdoc/>
    public abstract IReadOnlyCollection<ClusterEvent> RecentEvents { get; }

    /// <inheritdoc/>
    public int BufferedPoints => _buffered;

    /// <inheritdoc/>
    public int PointsToSeed => IsSeeded ? 0 : Math.Max(0, Options.SeedingBufferSize - _buffered);

    /// <inheritdoc/>
    public ReadOnlySpan<float> StepPoints => _stepPoints.AsSpan(0, _stepCount * Dimensions);

    /// <inheritdoc/>
    public ReadOnlySpan<int> StepLabels => _stepApplied ? _runner.Labels.AsSpan(0, _stepCount) : [];

    /// <inheritdoc/>
    public ReadOnlySpan<float> StepScores => _stepApplied ? _runner.Scores.AsSpan(0, _stepCount) : [];

    /// <summary>Gets when the last batch was applied, or null if none has been.</summary>
    protected DateTimeOffset? LastApplied => _lastApplied;

    /// <inheritdoc/>
    public abstract long Score(ReadOnlySpan<float> points, Span<int> labels, Span<float> scores);

    /// <inheritdoc/>
    public virtual ScoreKind ScoreKind => ScoreKind.SquaredDistance;

    /// <inheritdoc/>
    public virtual ReadOnlySpan<double> Variances => [];

    /// <inheritdoc/>
    public virtual ReadOnlySpan<double> Priors => [];

    /// <inheritdoc/>
    public virtual double? MeanLogLikelihood => null;

    /// <inheritdoc/>
    public virtual long Score(ReadOnlySpan<float> points, Span<int> labels, Span<float> scores, Span<float> responsibilities)
    {
        long version = Score(points, labels, scores);
        if (!responsibilities.IsEmpty)
        {
            responsibilities[..(points.Length / Dimensions)].Fill(1);
        }

        return version;
    }

    /// <inheritdoc/>
    public ModelStep Step(float[] points, int count, Action? meanwhile = null)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (IsSeeded)
        {
            return count == 0 ? new ModelStep(ModelStepKind.Applied, 0, false, null, null) : Apply(points, count, seeded: false, meanwhile);
        }

        AddToSeedBuffer(points.AsSpan(0, count * Dimensions));
        return _buffered >= Options.SeedingBufferSize ? SeedAndApply(meanwhile) : new ModelStep(ModelStepKind.Buffered, count, false, null, null);
    }

    /// <inheritdoc/>
    public ModelStep? Flush() => !IsSeeded && _buffered > 0 ? SeedAndApply(meanwhile: null) : null;

    /// <inheritdoc/>
    public int DropBuffered()
    {
        int dropped = IsSeeded ? 0 : _buffered;
        _seedBuffer = null;
        _buffered = 0;
        return dropped;
    }

    /// <inheritdoc/>
    public StreamingModelState ToState() => CompleteState(new()
    {
        Model = ParameterState(),
        Counts = (long[])_counts.Clone(),
        LastApplied = _lastApplied,
    });

    /// <inheritdoc/>
    public void Stop() => _runner.Stop();

    /// <summary>The E-step of one shard against the current version.</summary>
    /// <returns>The shard work every shard of the next batch runs.</returns>
    protected abstract TWork CreateWork();

    /// <summary>Picks the first parameters from the seeding buffer.</summary>
    /// <param name="buffer">The buffered points, row-major.</param>
    protected abstract void Seed(ReadOnlySpan<float> buffer);

    /// <summary>The M-step and the repairs that follow it; leaves the model as it was when it throws.</summary>
    /// <param name="statistics">The batch's statistics against the current version.</param>
    /// <param name="discount">The discount of the past, in (0, 1].</param>
    /// <param name="points">The batch's points (candidates for reseeds).</param>
    /// <returns>What the step did.</returns>
    /// <exception cref="NonFiniteModelException">The update would make the model non-finite.</exception>
    protected abstract ModelUpdate Update(TStatistics statistics, double discount, ReadOnlySpan<float> points);

    /// <summary>Adds what a model class holds beyond the shared parameters' state.</summary>
    /// <param name="state">The shared state.</param>
    /// <returns>The whole state.</returns>
    protected virtual StreamingModelState CompleteState(StreamingModelState state) => state;

    /// <summary>Takes the parameters' state.</summary>
    /// <returns>Copies of the parameters, version and random state.</returns>
    protected abstract ClusterModelState ParameterState();

    private void AddToSeedBuffer(ReadOnlySpan<float> points)
    {
        int needed = (_buffered * Dimensions) + points.Length;
        if (_seedBuffer is null || _seedBuffer.Length < needed)
        {
            // Grows to the seeding buffer's size and at most one batch more, a few times in a pipeline's life.
            Array.Resize(ref _seedBuffer, Math.Max(needed, Math.Min(2 * needed, (Options.SeedingBufferSize + 1) * Dimensions)));
        }

        points.CopyTo(_seedBuffer.AsSpan(_buffered * Dimensions));
        _buffered += points.Length / Dimensions;
    }

    /// <summary>
    /// Seeds on the buffered points, then applies them as one batch: from zero weights that is one
    /// Lloyd step on the buffer, and every seed starts with the points around it.
    /// </summary>
    private ModelStep SeedAndApply(Action? meanwhile)
    {
        float[] buffer = _seedBuffer!;
        int count = _buffered;

        // A seeding that fails (too few distinct points) leaves the buffer as it was, to be tried again with more.
        Seed(buffer.AsSpan(0, count * Dimensions));
        _seedBuffer = null;
        _buffered = 0;
        return Apply(buffer, count, seeded: true, meanwhile);
    }

    private ModelStep Apply(float[] points, int count, bool seeded, Action? meanwhile)
    {
        TStatistics statistics = _runner.Run(CreateWork(), points, count, meanwhile);
        DateTimeOffset now = _time.GetUtcNow();
        TimeSpan elapsed = _lastApplied is { } last ? now - last : TimeSpan.Zero;
        double discount = Options.HalfLife.Discount(count, elapsed);
        _stepPoints = points;
        _stepCount = count;
        _stepApplied = false;
        ModelUpdate update;
        try
        {
            update = Update(statistics, discount, points.AsSpan(0, count * Dimensions));
        }
        catch (NonFiniteModelException ex)
        {
            return new ModelStep(ModelStepKind.Refused, count, seeded, null, ex);
        }

        _lastApplied = now;
        _stepApplied = true;
        LastUpdate = update;
        update.AddCounts(_counts, statistics.Counts);

        return new ModelStep(ModelStepKind.Applied, count, seeded, update, null);
    }
}
