using StreamingClusters.Cluster.Messages;
using StreamingClusters.EStep;
using StreamingClusters.Mixture;
using StreamingClusters.Model;
using StreamingClusters.Options;
using StreamingClusters.Scaling;
using StreamingClusters.Seeding;
using StreamingClusters.Statistics;

namespace StreamingClusters.Cluster;

/// <summary>
/// The single writer of one model in cluster mode, without Orleans: the streaming loop of
/// <see cref="StreamingModel{TWork, TStatistics}"/> (seeding buffer, discount, M-step, per-cluster
/// counts) split so that the E-step may run elsewhere. Raw points go through <see cref="AddPoints"/>
/// (buffered until the model seeds on them, as a single process does); statistics E-stepped on a silo
/// go through <see cref="Apply(ClusterStatistics, ReadOnlySpan{float})"/>. Fed the same batches in the
/// same order, it ends in the same state as a <see cref="KMeansStreamingModel"/>, bit for bit. A model
/// of standardised columns learns its
/// <see cref="ColumnScaling"/> from the seeding buffer when it seeds and is built in the standardised
/// space, as a <see cref="ScaledStreamingModel"/> is: raw points are buffered in the input's units,
/// statistics and their points come standardised. A Gaussian mixture is the same loop around a
/// <see cref="GaussianMixtureModel"/>, as a <see cref="MixtureStreamingModel"/> is, its statistics
/// E-stepped softly on the silos. Not thread-safe: the grain is its one caller.
/// </summary>
internal sealed class ModelOwner
{
    private readonly ClusterModelDefinition _definition;
    private readonly StreamingModelOptions _options;
    private readonly TimeProvider _time;
    private ClusterModel _model;
    private readonly long[] _counts;
    private DateTimeOffset? _lastApplied;

    /// <summary>The points buffered for seeding, row-major, in the input's units; empty once seeded.</summary>
    private float[] _seedBuffer;

    /// <summary>The scaling of a standardised model, learnt when it seeds and fixed then; null before, or for columns as they come.</summary>
    private ColumnScaling? _scaling;

    /// <summary>A mixture's parameters (then <see cref="_model"/> is not used); null for k-means.</summary>
    private GaussianMixtureModel? _mixture;

    private ModelOwner(ClusterModelDefinition definition, ClusterModel model, long[] counts, DateTimeOffset? lastApplied, float[] seedBuffer, TimeProvider time, ColumnScaling? scaling = null, GaussianMixtureModel? mixture = null)
    {
        _scaling = scaling;
        _mixture = mixture;
        _definition = definition;
        _options = definition.ToOptions();
        _model = model;
        _counts = counts;
        _lastApplied = lastApplied;
        _seedBuffer = seedBuffer;
        _time = time;
    }

    /// <summary>Gets a value indicating whether the model is seeded.</summary>
    public bool IsSeeded => _mixture?.IsSeeded ?? _model.IsSeeded;

    /// <summary>Gets k.</summary>
    public int Clusters => _definition.Clusters;

    /// <summary>Gets d.</summary>
    public int Dimensions => _definition.Dimensions;

    /// <summary>Gets the model version.</summary>
    public long Version => _mixture?.Version ?? _model.Version;

    /// <summary>Gets the points applied.</summary>
    public long PointsApplied => _mixture?.PointsApplied ?? _model.PointsApplied;

    /// <summary>Gets the points buffered for seeding.</summary>
    public int PointsBuffered => _seedBuffer.Length / _definition.Dimensions;

    /// <summary>Gets the buffered points, row-major (persisted beside the model's state until it is seeded).</summary>
    public ReadOnlySpan<float> SeedBuffer => _seedBuffer;

    /// <summary>Gets what the last M-step applied here did (its points, squared error and reseeds); null before any since the owner was made.</summary>
    public ModelUpdate? LastUpdate { get; private set; }

    /// <summary>Gets the centroids in double precision, k × d, in the space the model is built in (standardised columns when it scales them).</summary>
    public ReadOnlySpan<double> Centroids => _mixture is { } mixture ? mixture.Means : _model.Centroids;

    /// <summary>Gets a mixture's variances, k × d (empty for k-means).</summary>
    public ReadOnlySpan<double> Variances => _mixture is { } mixture ? mixture.Variances : [];

    /// <summary>Gets a mixture's priors, k (empty for k-means).</summary>
    public ReadOnlySpan<double> Priors => _mixture is { } mixture ? mixture.Priors : [];

    /// <summary>Gets the scaling the model is built in, or null (columns as they come, or not seeded yet).</summary>
    public ColumnScaling? Scaling => _scaling;

    /// <summary>Creates an unseeded model, or one seeded with the definition's initial centroids.</summary>
    /// <param name="definition">Its shape and options.</param>
    /// <param name="time">The clock of time half-lives.</param>
    /// <returns>The owner.</returns>
    public static ModelOwner Create(ClusterModelDefinition definition, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(definition);
        definition.Validate();
        var model = new ClusterModel(definition.ToSettings());
        if (definition.InitialCentroids is { } initial)
        {
            // Seeded from the start, as a single process's model with configured centroids.
            model.SetCentroids(initial.Values);
        }

        GaussianMixtureModel? mixture = definition.Model == ModelKind.GaussianMixture ? new GaussianMixtureModel(definition.ToSettings(), definition.ToMixtureOptions()) : null;
        return new ModelOwner(definition, model, new long[definition.Clusters], null, [], time, mixture: mixture);
    }

    /// <summary>Restores a model from what the grain persisted.</summary>
    /// <param name="definition">Its shape and options.</param>
    /// <param name="state">The model's state, or null while it was unseeded.</param>
    /// <param name="seedBuffer">The points buffered for seeding.</param>
    /// <param name="time">The clock of time half-lives.</param>
    /// <param name="seedingRandomState">While unseeded, the generator's state (<see cref="SeedingRandomState"/>), or null for a fresh one.</param>
    /// <returns>The owner, exactly where the state was taken.</returns>
    public static ModelOwner Restore(ClusterModelDefinition definition, StreamingModelState? state, float[] seedBuffer, TimeProvider time, ulong[]? seedingRandomState = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(seedBuffer);
        if (state is null)
        {
            ModelOwner fresh = Create(definition, time);
            fresh._seedBuffer = seedBuffer;
            if (seedingRandomState is not null)
            {
                // Seeding attempts that found too few distinct points drew from the generator: go on from
                // where they left it, as the grain that made them would have.
                if (fresh._mixture is { } unseeded)
                {
                    fresh._mixture = GaussianMixtureModel.Restore(unseeded.ToState() with { RandomState = seedingRandomState }, unseeded.ToMixtureState(), definition.ToMixtureOptions());
                }
                else
                {
                    fresh._model = ClusterModel.Restore(fresh._model.ToState() with { RandomState = seedingRandomState });
                }
            }

            return fresh;
        }

        bool standardize = definition.Scaling == ScalingMode.Standardize;
        if (standardize != state.Scaling is not null)
        {
            throw new ArgumentException(
                $"The persisted state {(state.Scaling is null ? "has no column scaling" : "has a column scaling")} but the model's scaling is {definition.Scaling}.", nameof(state));
        }

        ColumnScaling? scaling = state.Scaling is { } scalingState ? ColumnScaling.FromState(scalingState) : null;
        if (scaling is not null && scaling.Dimensions != definition.Dimensions)
        {
            throw new ArgumentException($"The persisted scaling has {scaling.Dimensions} columns but the model {definition.Dimensions}.", nameof(state));
        }

        if (definition.Model == ModelKind.GaussianMixture)
        {
            MixtureState parameters = state.Mixture ?? throw new ArgumentException("The persisted state is a k-means model's, not a mixture's.", nameof(state));
            var mixture = GaussianMixtureModel.Restore(state.Model with { Settings = definition.ToSettings() }, parameters, definition.ToMixtureOptions());
            return new ModelOwner(definition, new ClusterModel(definition.ToSettings()), (long[])state.Counts.Clone(), state.LastApplied, seedBuffer, time, scaling, mixture);
        }

        ClusterModel model = ClusterModel.Restore(state.Model with { Settings = definition.ToSettings() });
        return new ModelOwner(definition, model, (long[])state.Counts.Clone(), state.LastApplied, seedBuffer, time, scaling);
    }

    /// <summary>
    /// Takes raw points: buffers them until the model is seeded (then seeds on the whole buffer and
    /// applies it as one batch), applies them as a batch afterwards, E-stepped here.
    /// </summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <returns>What was done.</returns>
    /// <exception cref="NonFiniteModelException">The update would make the model non-finite; nothing changed.</exception>
    public BatchOutcome AddPoints(ReadOnlySpan<float> points)
    {
        if (points.Length % _definition.Dimensions != 0)
        {
            throw new ArgumentException($"Points of d = {_definition.Dimensions} must hold a multiple of {_definition.Dimensions} values, got {points.Length}.", nameof(points));
        }

        if (IsSeeded)
        {
            ApplyPoints(Standardized(points, _scaling));
            return BatchOutcome.Applied;
        }

        float[] buffer = [.. _seedBuffer, .. points];
        if (buffer.Length / _definition.Dimensions < _definition.SeedingBufferSize)
        {
            _seedBuffer = buffer;
            return BatchOutcome.Buffered;
        }

        // A standardised model learns its scaling from the whole buffer and seeds on it standardised.
        ColumnScaling? scaling = _definition.Scaling == ScalingMode.Standardize ? ColumnScaling.Fit(buffer, _definition.Dimensions) : null;
        float[] seedPoints = Standardized(buffer, scaling);
        try
        {
            if (_mixture is { } mixture)
            {
                mixture.Seed(seedPoints, _options.SeedingParallelism);
            }
            else
            {
                _model.Seed(seedPoints, _options.SeedingParallelism);
            }
        }
        catch (InsufficientDistinctPointsException)
        {
            // As a single process does: the buffer is kept (in the input's units), and the next points
            // try again, the scaling learnt again from the larger buffer.
            _seedBuffer = buffer;
            return BatchOutcome.Buffered;
        }

        _scaling = scaling;
        _seedBuffer = [];
        ApplyPoints(seedPoints);
        return BatchOutcome.Applied;
    }

    /// <summary>The points as the model sees them: standardised with <paramref name="scaling"/> (a copy), or a copy as they are.</summary>
    /// <param name="points">n × d values in the input's units.</param>
    /// <param name="scaling">The scaling, or null.</param>
    /// <returns>A new array.</returns>
    public static float[] Standardized(ReadOnlySpan<float> points, ColumnScaling? scaling)
    {
        float[] result = new float[points.Length];
        if (scaling is null)
        {
            points.CopyTo(result);
        }
        else
        {
            scaling.Transform(points, result);
        }

        return result;
    }

    /// <summary>Applies statistics E-stepped elsewhere against a version of this model.</summary>
    /// <param name="statistics">The statistics.</param>
    /// <param name="recentPoints">Points of the batch, candidates for reseeds and the repair (standardised when the model is).</param>
    /// <exception cref="InvalidOperationException">The model is not seeded.</exception>
    /// <exception cref="NonFiniteModelException">The update would make the model non-finite; nothing changed.</exception>
    public void Apply(ClusterStatistics statistics, ReadOnlySpan<float> recentPoints)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        if (!IsSeeded || _mixture is not null)
        {
            throw new InvalidOperationException("k-means statistics are applied only to a seeded k-means model.");
        }

        DateTimeOffset now = _time.GetUtcNow();
        TimeSpan elapsed = _lastApplied is { } last ? now - last : TimeSpan.Zero;
        double discount = _options.HalfLife.Discount(statistics.TotalCount, elapsed);
        ModelUpdate update = _model.Apply(statistics, discount, recentPoints);
        _lastApplied = now;
        update.AddCounts(_counts, statistics.Counts);
        LastUpdate = update;
    }

    /// <summary>Applies a mixture's statistics E-stepped elsewhere, taken about the means of the current version.</summary>
    /// <param name="statistics">The statistics.</param>
    /// <param name="recentPoints">Points of the batch, candidates for reseeds.</param>
    /// <exception cref="InvalidOperationException">The model is not a seeded mixture.</exception>
    /// <exception cref="NonFiniteModelException">The update would make the model non-finite; nothing changed.</exception>
    public void Apply(MixtureStatistics statistics, ReadOnlySpan<float> recentPoints)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        if (_mixture is not { IsSeeded: true } mixture)
        {
            throw new InvalidOperationException("Mixture statistics are applied only to a seeded mixture.");
        }

        DateTimeOffset now = _time.GetUtcNow();
        TimeSpan elapsed = _lastApplied is { } last ? now - last : TimeSpan.Zero;
        double discount = _options.HalfLife.Discount(statistics.TotalCount, elapsed);
        ModelUpdate update = mixture.Apply(statistics, discount, recentPoints);
        _lastApplied = now;
        update.AddCounts(_counts, statistics.Counts);
        LastUpdate = update;
    }

    /// <summary>Gets the generator's state while unseeded (failed seeding attempts move it), or null once seeded (then <see cref="ToState"/> holds it).</summary>
    public ulong[]? SeedingRandomState => IsSeeded ? null : (_mixture?.ToState() ?? _model.ToState()).RandomState;

    /// <summary>Takes the model's whole state (what a checkpoint holds, the scaling included); null while unseeded.</summary>
    /// <returns>Copies of everything needed to go on.</returns>
    public StreamingModelState? ToState() => IsSeeded
        ? new StreamingModelState
        {
            Model = _mixture?.ToState() ?? _model.ToState(),
            Counts = (long[])_counts.Clone(),
            LastApplied = _lastApplied,
            Mixture = _mixture?.ToMixtureState(),
            Scaling = _scaling?.ToState(),
        }
        : null;

    private void ApplyPoints(float[] points)
    {
        int count = points.Length / _definition.Dimensions;
        if (_mixture is { } mixture)
        {
            var soft = new SerialEStep<SoftEStepWork, MixtureStatistics>(_definition.Clusters, _definition.Dimensions, _definition.ShardSize, Math.Max(1, count));
            Apply(soft.Run(new SoftEStepWork(mixture.Current), points, count), points);
            return;
        }

        var runner = new SerialEStep<HardEStepWork, ClusterStatistics>(_definition.Clusters, _definition.Dimensions, _definition.ShardSize, Math.Max(1, count));
        ClusterStatistics statistics = runner.Run(new HardEStepWork(_model.Current), points, count);
        Apply(statistics, points);
    }
}
