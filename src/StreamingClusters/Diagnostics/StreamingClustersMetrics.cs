using System.Diagnostics.Metrics;
using StreamingClusters.Checkpoints;
using StreamingClusters.Ingest;
using StreamingClusters.Model;
using StreamingClusters.Publishing;

namespace StreamingClusters.Diagnostics;

/// <summary>
/// The pipeline's instruments, on the meter <see cref="MeterName"/>: records received, applied and
/// rejected per source; batches, their latency and size; reseeds; the points waiting in the channel;
/// the model's version, inertia, mean squared distance and each cluster's weight; checkpoint writes,
/// good and failed, and the failures in a row (above zero means the last write failed and a restart
/// would go back further). Counts are read from the pipeline's own accounting, so metrics and
/// snapshots never disagree.
/// </summary>
/// <remarks>
/// Before the model is seeded it has no version, inertia or weights, and the model's gauges report
/// nothing (no sample, rather than a 0 or −1 that a graph or an alert would take for a value): a
/// dashboard sees the series begin at the first snapshot, and <c>absent(…_model_version)</c> says "not
/// seeded", as <c>/healthz</c> does with "starting" and version −1. Every measurement has the tag
/// <c>model</c>: <c>default</c> for the model of the top-level settings, the model's name for the named
/// models that <see cref="ForModel"/> adds to the same instruments.
/// </remarks>
public sealed class StreamingClustersMetrics
{
    /// <summary>The name of the meter, for exporters to listen to.</summary>
    public const string MeterName = "StreamingClusters";

    /// <summary>The labels of the first cluster indices, made once, so that a scrape allocates no strings for them.</summary>
    private static readonly string[] ClusterLabels = [.. Enumerable.Range(0, 256).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private static readonly string[] ClusterEventKinds = [.. Enum.GetValues<ClusterEventKind>().Select(k => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(k.ToString()))];

    /// <summary>The instruments and every model that records into them.</summary>
    private readonly Instruments _instruments;

    /// <summary>The <c>model</c> tag of every measurement of this model.</summary>
    private readonly KeyValuePair<string, object?> _model;

    /// <summary>Clusters reseeded since start: added to by the model stage, read by scrapes.</summary>
    private long _reseeds;
    /// <summary>Cluster events since start, by kind: added to by the model stage, read by scrapes.</summary>
    private readonly long[] _clusterEvents = new long[Enum.GetValues<ClusterEventKind>().Length];
    private IngestStage? _ingest;
    private Func<CheckpointStatus?>? _checkpoint;
    private Func<CentroidSnapshot?>? _latest;

    /// <summary>
    /// Creates the instruments on a meter from <paramref name="meterFactory"/> (or a meter of its own), for
    /// the model named <c>default</c>; <see cref="ForModel"/> adds other models to the same instruments.
    /// </summary>
    /// <param name="meterFactory">The host's meter factory, if any.</param>
    public StreamingClustersMetrics(IMeterFactory? meterFactory = null)
        : this(new Instruments(meterFactory), Models.ModelName.Default)
    {
    }

    private StreamingClustersMetrics(Instruments instruments, string model)
    {
        _instruments = instruments;
        _model = new KeyValuePair<string, object?>("model", model);
        instruments.Add(this);
    }

    /// <summary>Gets the name of the model whose measurements these are (their <c>model</c> tag).</summary>
    public string Model => (string)_model.Value!;

    /// <summary>
    /// Makes the metrics of another model on the same instruments: every series it records has the tag
    /// <c>model</c> with <paramref name="model"/>, as those of this one have <see cref="Model"/>.
    /// </summary>
    /// <param name="model">The model's name.</param>
    /// <returns>The model's metrics.</returns>
    public StreamingClustersMetrics ForModel(string model)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        return new StreamingClustersMetrics(_instruments, model);
    }

    /// <summary>
    /// Takes this model's series out of the observable instruments (a deleted model's): they are no longer
    /// reported. The counted instruments (batches, their durations, checkpoint writes) keep what they recorded.
    /// </summary>
    public void Remove() => _instruments.Remove(this);

    /// <summary>Connects the observable instruments to a pipeline.</summary>
    /// <param name="ingest">The pipeline's ingest stage.</param>
    /// <param name="latest">Reads the latest snapshot.</param>
    internal void Attach(IngestStage ingest, Func<CentroidSnapshot?> latest)
    {
        _ingest = ingest;
        _latest = latest;
    }

    /// <summary>Connects the checkpoint gauge to a store's status.</summary>
    /// <param name="status">Reads the status.</param>
    internal void AttachCheckpoints(Func<CheckpointStatus?> status) => _checkpoint = status;

    /// <summary>Records one checkpoint write.</summary>
    /// <param name="succeeded">Whether it was written.</param>
    internal void CheckpointWritten(bool succeeded) =>
        _instruments.CheckpointWrites.Add(1, new KeyValuePair<string, object?>("outcome", succeeded ? "written" : "failed"), _model);

    /// <summary>Records one applied batch.</summary>
    /// <param name="duration">Its E-step, M-step and publishing time.</param>
    /// <param name="reseeds">The clusters it reseeded.</param>
    internal void BatchApplied(TimeSpan duration, int reseeds)
    {
        _instruments.Batches.Add(1, _model);
        _instruments.BatchDuration.Record(duration.TotalSeconds, _model);
        if (reseeds > 0)
        {
            Interlocked.Add(ref _reseeds, reseeds);
        }
    }

    /// <summary>Counts one cluster event.</summary>
    /// <param name="kind">Its kind.</param>
    internal void ClusterEvent(ClusterEventKind kind) => Interlocked.Increment(ref _clusterEvents[(int)kind]);

    private IEnumerable<Measurement<long>> Reseeds() => [new Measurement<long>(Volatile.Read(ref _reseeds), _model)];

    private IEnumerable<Measurement<long>> ClusterEvents()
    {
        var measurements = new Measurement<long>[_clusterEvents.Length];
        for (int i = 0; i < measurements.Length; i++)
        {
            measurements[i] = new Measurement<long>(Volatile.Read(ref _clusterEvents[i]), new KeyValuePair<string, object?>("kind", ClusterEventKinds[i]), _model);
        }

        return measurements;
    }

    private IEnumerable<Measurement<long>> ChannelPoints() => [new Measurement<long>(_ingest?.PointsQueued ?? 0, _model)];

    private IEnumerable<Measurement<long>> CheckpointFailures() => [new Measurement<long>(_checkpoint?.Invoke()?.ConsecutiveFailures ?? 0, _model)];

    /// <summary>Reads one value of the latest snapshot: none before seeding.</summary>
    private IEnumerable<Measurement<T>> Snapshot<T>(Func<CentroidSnapshot, T> read)
        where T : struct =>
        _latest?.Invoke() is { } snapshot ? [new Measurement<T>(read(snapshot), _model)] : [];

    private IEnumerable<Measurement<double>> Weights()
    {
        if (_latest?.Invoke() is not { } snapshot)
        {
            return [];
        }

        IReadOnlyList<double> weights = snapshot.Weights;
        var measurements = new Measurement<double>[weights.Count];
        for (int c = 0; c < measurements.Length; c++)
        {
            measurements[c] = new Measurement<double>(weights[c], new KeyValuePair<string, object?>("cluster", ClusterLabel(c)), _model);
        }

        return measurements;
    }

    private static string ClusterLabel(int cluster) =>
        cluster < ClusterLabels.Length ? ClusterLabels[cluster] : cluster.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private IEnumerable<Measurement<long>> PerSource(Func<SourceCounters, long> read) =>
        _ingest?.Sources.Select(s => new Measurement<long>(read(s), new KeyValuePair<string, object?>("source", s.Name), _model)) ?? [];

    /// <summary>
    /// The instruments, made once per meter, and the models that record into them: an observable
    /// instrument reads every model's values, each tagged with its model.
    /// </summary>
    private sealed class Instruments
    {
        /// <summary>The models, in the order they were added; copied on write, read by scrapes without a lock.</summary>
        private StreamingClustersMetrics[] _models = [];

        public Instruments(IMeterFactory? meterFactory)
        {
            Meter meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
            Batches = meter.CreateCounter<long>("streamingclusters.batches", "{batch}", "Mini-batches applied to the model.");
            BatchDuration = meter.CreateHistogram<double>("streamingclusters.batch.duration", "s", "Time to run a batch's E-step and M-step and publish its snapshot.");
            // Observed rather than added to, so that the series is there at 0 before the first reseed.
            meter.CreateObservableCounter("streamingclusters.reseeds", () => All(m => m.Reseeds()), "{cluster}", "Starved clusters reseeded from a recent point.");
            meter.CreateObservableCounter("streamingclusters.cluster.events", () => All(m => m.ClusterEvents()), "{event}", "Changes of cluster ids since start, by kind (seeded, reseeded, removed, splitOff).");
            meter.CreateObservableCounter("streamingclusters.records.received", () => All(m => m.PerSource(s => s.Received)), "{record}", "Records received, good or not.");
            meter.CreateObservableCounter("streamingclusters.points.applied", () => All(m => m.PerSource(s => s.Applied)), "{point}", "Points applied to the model.");
            meter.CreateObservableCounter("streamingclusters.records.rejected", () => All(m => m.PerSource(s => s.Rejected)), "{record}", "Records rejected and dead-lettered.");
            meter.CreateObservableGauge("streamingclusters.channel.points", () => All(m => m.ChannelPoints()), "{point}", "Points waiting in the ingest channel.");
            meter.CreateObservableGauge("streamingclusters.model.version", () => All(m => m.Snapshot(s => s.Version)), "{version}", "The model version: M-steps applied; no sample before seeding.");
            CheckpointWrites = meter.CreateCounter<long>("streamingclusters.checkpoint.writes", "{write}", "Checkpoint writes, by outcome (written or failed).");
            meter.CreateObservableGauge("streamingclusters.checkpoint.consecutive_failures", () => All(m => m.CheckpointFailures()), "{write}", "Checkpoint writes failed since the last good one; above zero the last good checkpoint is getting old.");
            meter.CreateObservableGauge("streamingclusters.model.mean_squared_distance", () => All(m => m.Snapshot(s => s.MeanSquaredDistance)), null, "Mean squared distance of the last batch's points to their centroids.");
            meter.CreateObservableGauge("streamingclusters.model.inertia", () => All(m => m.Snapshot(s => s.Inertia)), null, "The discounted k-means objective: each cluster's discounted squared distances, summed.");
            meter.CreateObservableGauge("streamingclusters.cluster.weight", () => All(m => m.Weights()), "{point}", "Each cluster's weight (its discounted point count), by cluster index.");
        }

        public Counter<long> Batches { get; }

        public Histogram<double> BatchDuration { get; }

        public Counter<long> CheckpointWrites { get; }

        public void Add(StreamingClustersMetrics model)
        {
            StreamingClustersMetrics[] before, after;
            do
            {
                before = Volatile.Read(ref _models);
                after = [.. before, model];
            }
            while (Interlocked.CompareExchange(ref _models, after, before) != before);
        }

        public void Remove(StreamingClustersMetrics model)
        {
            StreamingClustersMetrics[] before, after;
            do
            {
                before = Volatile.Read(ref _models);
                after = Array.FindAll(before, m => m != model);
            }
            while (Interlocked.CompareExchange(ref _models, after, before) != before);
        }

        private IEnumerable<Measurement<T>> All<T>(Func<StreamingClustersMetrics, IEnumerable<Measurement<T>>> read)
            where T : struct
        {
            StreamingClustersMetrics[] models = Volatile.Read(ref _models);
            return models.Length == 1 ? read(models[0]) : models.SelectMany(read);
        }
    }
}
