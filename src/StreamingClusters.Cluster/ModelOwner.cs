using StreamingClusters.Cluster.Messages;
using StreamingClusters.EStep;
using StreamingClusters.Model;
using StreamingClusters.Seeding;
using StreamingClusters.Statistics;

namespace StreamingClusters.Cluster;

/// <summary>
/// The single writer of one model in cluster mode, without Orleans: the streaming loop of
/// <see cref="StreamingModel{TWork, TStatistics}"/> (seeding buffer, discount, M-step, per-cluster
/// counts) split so that the E-step may run elsewhere. Raw points go through <see cref="AddPoints"/>
/// (buffered until the model seeds on them, as a single process does); statistics E-stepped on a silo
/// go through <see cref="Apply"/>. Fed the same batches in the same order, it ends in the same state
/// as a <see cref="KMeansStreamingModel"/>, bit for bit. Not thread-safe: the grain is its one caller.
/// </summary>
internal sealed class ModelOwner
{
    private readonly ClusterModelDefinition _definition;
    private readonly StreamingModelOptions _options;
    private readonly TimeProvider _time;
    private ClusterModel _model;
    private readonly long[] _counts;
    private DateTimeOffset? _lastApplied;

    /// <summary>The points buffered for seeding, row-major; empty once seeded.</summary>
    private float[] _seedBuffer;

    private ModelOwner(ClusterModelDefinition definition, ClusterModel model, long[] counts, DateTimeOffset? lastApplied, float[] seedBuffer, TimeProvider time)
    {
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

    /// <summary>Gets what the last M-step applied here did (its points, squared error and reseeds); null before any since the owner was made.</summary>
    public ModelUpdate? LastUpdate { get; private set; }

    /// <summary>Gets the centroids in double precision, k × d.</summary>
    public ReadOnlySpan<double> Centroids => _model.Centroids;

    /// <summary>Creates an unseeded model.</summary>
    /// <param name="definition">Its shape and options.</param>
    /// <param name="time">The clock of time half-lives.</param>
    /// <returns>The owner.</returns>
    public static ModelOwner Create(ClusterModelDefinition definition, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(definition);
        definition.Validate();
        return new ModelOwner(definition, new ClusterModel(definition.ToSettings()), new long[definition.Clusters], null, [], time);
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

        ClusterModel model = ClusterModel.Restore(state.Model with { Settings = definition.ToSettings() });
        return new ModelOwner(definition, model, (long[])state.Counts.Clone(), state.LastApplied, seedBuffer, time);
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
            ApplyPoints(points.ToArray());
            return BatchOutcome.Applied;
        }

        float[] buffer = [.. _seedBuffer, .. points];
        if (buffer.Length / _definition.Dimensions < _definition.SeedingBufferSize)
        {
            _seedBuffer = buffer;
            return BatchOutcome.Buffered;
        }

        try
        {
            _model.Seed(buffer, _options.SeedingParallelism);
        }
        catch (InsufficientDistinctPointsException)
        {
            // As a single process does: the buffer is kept, and the next points try again.
            _seedBuffer = buffer;
            return BatchOutcome.Buffered;
        }

        _seedBuffer = [];
        ApplyPoints(buffer);
        return BatchOutcome.Applied;
    }

    /// <summary>Applies statistics E-stepped elsewhere against a version of this model.</summary>
    /// <param name="statistics">The statistics.</param>
    /// <param name="recentPoints">Points of the batch, candidates for reseeds and the repair.</param>
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
        LastUpdate = update;
    }

    /// <summary>Takes the model's whole state (what a checkpoint holds); null while unseeded.</summary>
    /// <returns>Copies of everything needed to go on.</returns>
    /// <summary>Gets the generator's state while unseeded (failed seeding attempts move it), or null once seeded (then <see cref="ToState"/> holds it).</summary>
    public ulong[]? SeedingRandomState => IsSeeded ? null : _model.ToState().RandomState;

    public StreamingModelState? ToState() => IsSeeded
        ? new StreamingModelState { Model = _model.ToState(), Counts = (long[])_counts.Clone(), LastApplied = _lastApplied }
        : null;

    private void ApplyPoints(float[] points)
    {
        int count = points.Length / _definition.Dimensions;
        var runner = new SerialEStep<HardEStepWork, ClusterStatistics>(_definition.Clusters, _definition.Dimensions, _definition.ShardSize, Math.Max(1, count));
        ClusterStatistics statistics = runner.Run(new HardEStepWork(_model.Current), points, count);
        Apply(statistics, points);
    }
}
