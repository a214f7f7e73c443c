using System.Buffers;
using StreamingClusters.EStep;
using StreamingClusters.Model;
using StreamingClusters.Seeding;

namespace StreamingClusters.Scaling;

/// <summary>
/// Any streaming model, built in standardised columns: it learns each column's mean and spread from the
/// seeding buffer, hands the model every point standardised (one vectorised pass per batch into a buffer
/// of its own), and reports centroids in the input's units. The scaling stays fixed after seeding, so the
/// metric does not move under the model. Scores and weights are the model's: squared distances are in the
/// standardised space, where the assignment is made. The points of a step (published assignments,
/// refused points) are the caller's, in the input's units.
/// </summary>
public sealed class ScaledStreamingModel : IStreamingModel
{
    private readonly IStreamingModel _model;
    private readonly int _seedingBufferSize;

    /// <summary>The scaling; null until the seeding buffer is full (or flushed), then fixed.</summary>
    private ColumnScaling? _scaling;

    /// <summary>The first points in the input's units, until the scaling is learnt from them; then null.</summary>
    private float[]? _seedBuffer;
    private int _buffered;

    /// <summary>The standardised points the model reads; the model's step points are a view of it.</summary>
    private float[] _scaled = [];

    /// <summary>The variances in the input's units, as of <see cref="_variancesVersion"/>.</summary>
    private double[] _variances = [];
    private long _variancesVersion = -1;

    /// <summary>The input-unit twin of the model's step points (a batch's buffer, or the seeding buffer).</summary>
    private float[] _stepPoints = [];

    /// <summary>The centroids in the input's units, as of <see cref="_centroidsVersion"/>.</summary>
    private double[] _centroids = [];
    private long _centroidsVersion = -1;

    /// <summary>Wraps a model that has not seen a point yet, or a restored one with the scaling it was built in.</summary>
    /// <param name="model">The model; it sees only standardised points.</param>
    /// <param name="seedingBufferSize">The model's seeding buffer size: the scaling is learnt from as many points.</param>
    /// <param name="scaling">The scaling of a restored model, or null to learn it from the seeding buffer.</param>
    public ScaledStreamingModel(IStreamingModel model, int seedingBufferSize, ColumnScaling? scaling = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seedingBufferSize);
        if (scaling is null && (model.IsSeeded || model.BufferedPoints > 0))
        {
            throw new ArgumentException("A model that has parameters or buffered points needs the scaling they were made in.", nameof(model));
        }

        if (scaling is not null && scaling.Dimensions != model.Dimensions)
        {
            throw new ArgumentException($"The scaling has {scaling.Dimensions} columns but the model {model.Dimensions}.", nameof(scaling));
        }

        _model = model;
        _seedingBufferSize = seedingBufferSize;
        _scaling = scaling;
    }

    /// <inheritdoc/>
    public ColumnScaling? Scaling => _scaling;

    /// <inheritdoc/>
    public int Clusters => _model.Clusters;

    /// <inheritdoc/>
    public int Dimensions => _model.Dimensions;

    /// <inheritdoc/>
    public bool IsSeeded => _model.IsSeeded;

    /// <inheritdoc/>
    public long Version => _model.Version;

    /// <summary>Gets the version scorers read, in the standardised space; null before seeding.</summary>
    public CentroidSet? Current => _model.Current;

    /// <inheritdoc/>
    public long? CurrentVersion => _model.CurrentVersion;

    /// <summary>Gets the centroids in the input's units, k × d, row-major.</summary>
    public ReadOnlySpan<double> Centroids
    {
        get
        {
            if (_scaling is null)
            {
                return _model.Centroids;
            }

            if (_centroidsVersion != _model.Version || _centroids.Length != _model.Centroids.Length)
            {
                ReadOnlySpan<double> scaled = _model.Centroids;
                if (_centroids.Length != scaled.Length)
                {
                    _centroids = new double[scaled.Length];
                }

                _scaling.Restore(scaled, _centroids);
                _centroidsVersion = _model.Version;
            }

            return _centroids;
        }
    }

    /// <inheritdoc/>
    public ReadOnlySpan<double> Weights => _model.Weights;

    /// <summary>Gets each cluster's (discounted) share of the objective, in the standardised space.</summary>
    public ReadOnlySpan<double> Inertia => _model.Inertia;

    /// <inheritdoc/>
    public ReadOnlySpan<long> Counts => _model.Counts;

    /// <inheritdoc/>
    public ScoreKind ScoreKind => _model.ScoreKind;

    /// <summary>Gets each cluster's variances in the input's units (the standardised ones times each column's spread squared), k × d; empty for k-means.</summary>
    public ReadOnlySpan<double> Variances
    {
        get
        {
            ReadOnlySpan<double> scaled = _model.Variances;
            if (_scaling is null || scaled.IsEmpty)
            {
                return scaled;
            }

            if (_variancesVersion != _model.Version || _variances.Length != scaled.Length)
            {
                if (_variances.Length != scaled.Length)
                {
                    _variances = new double[scaled.Length];
                }

                ReadOnlySpan<double> std = _scaling.Std;
                int d = std.Length;
                for (int i = 0; i < scaled.Length; i++)
                {
                    double s = std[i % d];
                    _variances[i] = scaled[i] * s * s;
                }

                _variancesVersion = _model.Version;
            }

            return _variances;
        }
    }

    /// <inheritdoc/>
    public ReadOnlySpan<double> Priors => _model.Priors;

    /// <summary>Gets the model's discounted mean log-likelihood per point, in the standardised space (as its scores); null for k-means.</summary>
    public double? MeanLogLikelihood => _model.MeanLogLikelihood;

    /// <inheritdoc/>
    public ReadOnlySpan<long> Ids => _model.Ids;

    /// <inheritdoc/>
    public IReadOnlyCollection<ClusterEvent> RecentEvents => _model.RecentEvents;

    /// <inheritdoc/>
    public ModelUpdate? LastUpdate => _model.LastUpdate;

    /// <inheritdoc/>
    public int BufferedPoints => _scaling is null ? _buffered : _model.BufferedPoints;

    /// <inheritdoc/>
    public int PointsToSeed => _scaling is null ? Math.Max(0, _seedingBufferSize - _buffered) : _model.PointsToSeed;

    /// <summary>Gets the points of the last step that applied or refused points, in the input's units.</summary>
    public ReadOnlySpan<float> StepPoints => _stepPoints.AsSpan(0, _model.StepPoints.Length);

    /// <inheritdoc/>
    public ReadOnlySpan<int> StepLabels => _model.StepLabels;

    /// <summary>Gets each step point's squared distance to its centroid in the standardised space.</summary>
    public ReadOnlySpan<float> StepScores => _model.StepScores;

    /// <summary>Scores points given in the input's units; the scores (squared distances) are in the standardised space.</summary>
    /// <param name="points">n × d values in the input's units, row-major.</param>
    /// <param name="labels">n slots for each point's cluster.</param>
    /// <param name="scores">n slots for each point's squared distance in the standardised space.</param>
    /// <returns>The version scored against.</returns>
    /// <exception cref="InvalidOperationException">The model is not seeded yet.</exception>
    public long Score(ReadOnlySpan<float> points, Span<int> labels, Span<float> scores) => Score(points, labels, scores, default);

    /// <summary>Scores points given in the input's units, with the responsibility of each one's most likely cluster; the scores are in the standardised space.</summary>
    /// <param name="points">n × d values in the input's units, row-major.</param>
    /// <param name="labels">n slots for each point's most likely cluster.</param>
    /// <param name="scores">n slots for each point's score (<see cref="ScoreKind"/>) in the standardised space.</param>
    /// <param name="responsibilities">n slots for the responsibility of each point's most likely cluster, or empty.</param>
    /// <returns>The version scored against.</returns>
    /// <exception cref="InvalidOperationException">The model is not seeded yet.</exception>
    public long Score(ReadOnlySpan<float> points, Span<int> labels, Span<float> scores, Span<float> responsibilities)
    {
        ColumnScaling? scaling = Volatile.Read(ref _scaling);
        if (scaling is null || points.IsEmpty)
        {
            return _model.Score(points, labels, scores, responsibilities);
        }

        float[] scaled = ArrayPool<float>.Shared.Rent(points.Length);
        try
        {
            scaling.Transform(points, scaled);
            return _model.Score(scaled.AsSpan(0, points.Length), labels, scores, responsibilities);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scaled);
        }
    }

    /// <inheritdoc/>
    public ModelStep Step(float[] points, int count, Action? meanwhile = null)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (_scaling is null)
        {
            AddToSeedBuffer(points.AsSpan(0, count * Dimensions));
            return _buffered >= _seedingBufferSize ? LearnAndStep(meanwhile, flush: false) : new ModelStep(ModelStepKind.Buffered, count, false, null, null);
        }

        if (count == 0)
        {
            return _model.Step(points, 0, meanwhile);
        }

        return StepScaled(points, count, meanwhile);
    }

    /// <inheritdoc/>
    public ModelStep? Flush()
    {
        if (_scaling is not null)
        {
            return _model.Flush();
        }

        if (_buffered == 0)
        {
            return null;
        }

        return LearnAndStep(meanwhile: null, flush: true);
    }

    /// <inheritdoc/>
    public int DropBuffered()
    {
        if (_scaling is not null)
        {
            return _model.DropBuffered();
        }

        int dropped = _buffered;
        _seedBuffer = null;
        _buffered = 0;
        return dropped;
    }

    /// <inheritdoc/>
    public StreamingModelState ToState() => _model.ToState() with { Scaling = _scaling?.ToState() };

    /// <inheritdoc/>
    public void Stop() => _model.Stop();

    private void AddToSeedBuffer(ReadOnlySpan<float> points)
    {
        int needed = (_buffered * Dimensions) + points.Length;
        if (_seedBuffer is null || _seedBuffer.Length < needed)
        {
            // Grows to the seeding buffer's size and at most one batch more, a few times in a pipeline's life.
            Array.Resize(ref _seedBuffer, Math.Max(needed, Math.Min(2 * needed, (_seedingBufferSize + 1) * Dimensions)));
        }

        points.CopyTo(_seedBuffer.AsSpan(_buffered * Dimensions));
        _buffered += points.Length / Dimensions;
    }

    /// <summary>
    /// Learns the scaling from the buffered points and hands them all to the model at once, standardised;
    /// on a flush (fewer points than the seeding buffer, which the model keeps) has the model seed on them.
    /// When the model cannot seed on them (too few distinct points), everything is left as it was before
    /// the scaling was learnt, and it is learnt again from the larger buffer of the next try.
    /// </summary>
    private ModelStep LearnAndStep(Action? meanwhile, bool flush)
    {
        float[] buffer = _seedBuffer!;
        int count = _buffered;
        Volatile.Write(ref _scaling, ColumnScaling.Fit(buffer.AsSpan(0, count * Dimensions), Dimensions));
        ModelStep step;
        try
        {
            step = StepScaled(buffer, count, meanwhile);
            if (flush && step.Kind == ModelStepKind.Buffered)
            {
                step = _model.Flush() ?? step;
            }
        }
        catch (InsufficientDistinctPointsException)
        {
            _model.DropBuffered();
            Volatile.Write(ref _scaling, null);
            throw;
        }

        _seedBuffer = null;
        _buffered = 0;

        // The model's step points, once it seeds, are its copy of these.
        _stepPoints = buffer;
        return step;
    }

    private ModelStep StepScaled(float[] points, int count, Action? meanwhile)
    {
        int length = count * Dimensions;
        if (_scaled.Length < length)
        {
            // Grows to the largest batch (the seeding buffer and one batch more), a few times in a pipeline's life.
            _scaled = new float[Math.Max(length, Math.Min(2 * length, (_seedingBufferSize + 1) * Dimensions))];
        }

        _scaling!.Transform(points.AsSpan(0, length), _scaled);
        ModelStep step = _model.Step(_scaled, count, meanwhile);
        if (step.Kind != ModelStepKind.Buffered)
        {
            _stepPoints = points;
        }

        return step;
    }
}
