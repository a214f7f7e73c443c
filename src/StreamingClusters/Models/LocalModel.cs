using System.Collections.Concurrent;
using StreamingClusters.Ingest;
using StreamingClusters.Model;
using StreamingClusters.Options;
using StreamingClusters.Publishing;

namespace StreamingClusters.Models;

/// <summary>
/// A model that runs in this process: an <see cref="IModelHandle"/> over a <see cref="ClusteringPipeline"/>
/// that its owner runs (<see cref="LocalModelCatalog"/>, or whatever hosts one model, a grain say).
/// </summary>
public sealed class LocalModel : IModelHandle
{
    private readonly TimeProvider _time;

    /// <summary>One writer per source name, made on its first write: each source is opened once on the pipeline's ingest.</summary>
    private readonly ConcurrentDictionary<string, PointWriter> _writers = new(StringComparer.Ordinal);

    /// <summary>Creates the handle.</summary>
    /// <param name="name">The model's name.</param>
    /// <param name="settings">The model's own settings (empty for the model of the top-level settings).</param>
    /// <param name="options">The model's effective, validated settings.</param>
    /// <param name="pipeline">The model's pipeline.</param>
    /// <param name="time">The clock writers wait on.</param>
    public LocalModel(string name, ModelOverrides settings, StreamingClustersOptions options, ClusteringPipeline pipeline, TimeProvider time)
    {
        Name = name;
        Settings = settings;
        Options = options;
        Pipeline = pipeline;
        _time = time;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Gets the model's own settings, as they were given.</summary>
    public ModelOverrides Settings { get; }

    /// <summary>Gets the model's effective settings.</summary>
    public StreamingClustersOptions Options { get; }

    /// <summary>Gets the model's pipeline.</summary>
    public ClusteringPipeline Pipeline { get; }

    /// <inheritdoc/>
    public IObservable<CentroidSnapshot> Snapshots => Pipeline.Snapshots;

    /// <inheritdoc/>
    public IObservable<ClusterEvent> Events => Pipeline.Events;

    /// <summary>Describes the model now.</summary>
    /// <returns>The description.</returns>
    public ModelInfo Describe()
    {
        long applied = 0, rejected = 0;
        foreach (SourceCounters source in Pipeline.Ingest.Sources)
        {
            applied += source.Applied;
            rejected += source.Rejected;
        }

        return new ModelInfo(
            Name,
            Options.Clusters,
            Pipeline.Ingest.Dimensions.Dimensions,
            Options.ParsedModel.ToString(),
            Pipeline.Latest?.Version ?? -1,
            applied,
            rejected,
            Options.MaxRecordLength,
            Options.MaxAbsoluteValue);
    }

    /// <inheritdoc/>
    public ValueTask<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Describe());

    /// <inheritdoc/>
    public ValueTask<RecordLimits> LimitsAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(new RecordLimits(Pipeline.Ingest.Dimensions.Dimensions, Options.MaxRecordLength, Options.MaxAbsoluteValue));

    /// <inheritdoc/>
    public ValueTask<CentroidSnapshot?> LatestAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Pipeline.Latest);

    /// <inheritdoc/>
    public Task<WriteResult?> TryWriteAsync(
        string source,
        ReadOnlyMemory<float> points,
        int dimensions,
        IReadOnlyList<string>? columns,
        TimeSpan wait,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        // Named before the points are written, so that the snapshot of the batch that takes them has the
        // names; a source that named them already (a file's header) keeps its names.
        DimensionGate shape = Pipeline.Ingest.Dimensions;
        if (columns is { } names && names.Count == dimensions && (shape.Dimensions == 0 || shape.Dimensions == dimensions))
        {
            shape.ProposeColumnNames(names);
        }

        return Writer(source).TryWriteAsync(points, dimensions, wait, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask RejectAsync(string source, IReadOnlyList<RecordRejection> rejections, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentNullException.ThrowIfNull(rejections);
        return rejections.Count == 0
            ? ValueTask.CompletedTask
            : Writer(source).RejectAsync(
                ingest =>
                {
                    foreach (RecordRejection r in rejections)
                    {
                        ingest.Reject(r.Record, r.Reason, r.Raw.AsSpan(), -1);
                    }
                },
                cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<ModelScores?> ScoreAsync(ReadOnlyMemory<float> points, int dimensions, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        if (Pipeline.Latest is not { } latest)
        {
            return ValueTask.FromResult<ModelScores?>(null);
        }

        if (dimensions != latest.Dimensions || points.Length % dimensions != 0)
        {
            throw new ArgumentException($"The model's points have {latest.Dimensions} dimensions, not {dimensions}.", nameof(dimensions));
        }

        int count = points.Length / dimensions;
        int[] clusters = new int[count];
        float[] scores = new float[count];
        float[] responsibilities = new float[count];
        long version = count == 0 ? Pipeline.Version : Pipeline.Score(points.Span, clusters, scores, responsibilities);
        return ValueTask.FromResult<ModelScores?>(new ModelScores(version, Pipeline.ScoreKind, clusters, scores, responsibilities));
    }

    private PointWriter Writer(string source) =>
        source == PointWriter.SourceName && Pipeline.Writer is PointWriter own
            ? own
            : _writers.GetOrAdd(source, static (name, model) => new PointWriter(model.Pipeline.Ingest, model._time, name), this);
}
