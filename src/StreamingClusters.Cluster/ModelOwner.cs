using StreamingClusters.Cluster.Messages;
using StreamingClusters.EStep;
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
/// go through <see cref="Apply"/>. Fed the same batches in the same order, it ends in the same state
/// as a <see cref="KMeansStreamingModel"/>, bit for bit. A model of standardised columns learns its
/// <see cref="ColumnScaling"/> from the seeding buffer when it seeds and is built in the standardised
/// space, as a <see cref="ScaledStreamingModel"/> is: raw points are buffered in the input's units,
/// statistics and their points come standardised. Not thread-safe: the grain is its one caller.
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

    private ModelOwner(ClusterModelDefinition definition, ClusterModel model, long[] counts, DateTimeOffset? lastApplied, float[] seedBuffer, TimeProvider time, ColumnScaling? scaling = null)
    {
        _scaling = scaling;
        _definition = definition;
        _options = definition.ToOptions();
        _model = model;
        _counts = counts;
        _lastApplied = lastApplied;
        _seedBuffer = seedBuffer;
        _time = time;
    }

    /// <summary>Gets a value indicating whether the model is seeded.</summary>
    public bool IsSeeded => _model.IsSeeded;

    /// <summary>Gets k.</summary>
    public int Clusters => _definition.Clusters;

    /// <summary>Gets d.</summary>
    public int Dimensions => _definition.Dimensions;

    /// <summary>Gets the model version.</summary>
    public long Version => _model.Version;

    /// <summary>Gets the points applied.</summary>
    public long PointsApplied => _model.PointsApplied;

    /// <summary>Gets the points buffered for seeding.</summary>
    public int PointsBuffered => _seedBuffer.Length / _definition.Dimensions;

    /// <summary>Gets the buffered points, row-major (persisted beside the model's state until it is seeded).</summary>
    public ReadOnlySpan<float> SeedBuffer => _seedBuffer;

    /// <summary>Gets the centroids in double precision, k × d, in the space the model is built in (standardised columns when it scales them).</summary>
    public ReadOnlySpan<double> Centroids => _model.Centroids;

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

        return new ModelOwner(definition, model, new long[definition.Clusters], null, [], time);
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
                fresh._model = ClusterModel.Restore(fresh._model.ToState() with { RandomState = seedingRandomState });
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
            _model.Seed(seedPoints, _options.SeedingParallelism);
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
        if (!IsSeeded)
        {
            throw new InvalidOperationException("Statistics cannot be applied before the model is seeded.");
        }

        DateTimeOffset now = _time.GetUtcNow();
        TimeSpan elapsed = _lastApplied is { } last ? now - last : TimeSpan.Zero;
        double discount = _options.HalfLife.Discount(statistics.TotalCount, elapsed);
        ModelUpdate update = _model.Apply(statistics, discount, recentPoints);
        _lastApplied = now;
        update.AddCounts(_counts, statistics.Counts);
    }

    /// <summary>Gets the generator's state while unseeded (failed seeding attempts move it), or null once seeded (then <see cref="ToState"/> holds it).</summary>
    public ulong[]? SeedingRandomState => IsSeeded ? null : _model.ToState().RandomState;

    /// <summary>Takes the model's whole state (what a checkpoint holds, the scaling included); null while unseeded.</summary>
    /// <returns>Copies of everything needed to go on.</returns>
    public StreamingModelState? ToState() => IsSeeded
        ? new StreamingModelState { Model = _model.ToState(), Counts = (long[])_counts.Clone(), LastApplied = _lastApplied, Scaling = _scaling?.ToState() }
        : null;

    private void ApplyPoints(float[] points)
    {
        int count = points.Length / _definition.Dimensions;
        var runner = new SerialEStep<HardEStepWork, ClusterStatistics>(_definition.Clusters, _definition.Dimensions, _definition.ShardSize, Math.Max(1, count));
        ClusterStatistics statistics = runner.Run(new HardEStepWork(_model.Current), points, count);
        Apply(statistics, points);
    }
}
