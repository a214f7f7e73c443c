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
/// seeded", as <c>/healthz</c> does with "starting" and version −1.
/// </remarks>
public sealed class StreamingClustersMetrics
{
    /// <summary>The name of the meter, for exporters to listen to.</summary>
    public const string MeterName = "StreamingClusters";

    /// <summary>The labels of the first cluster indices, made once, so that a scrape allocates no strings for them.</summary>
    private static readonly string[] ClusterLabels = [.. Enumerable.Range(0, 256).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private readonly Counter<long> _batches;
    private readonly Histogram<double> _batchDuration;
    /// <summary>Clusters reseeded since start: added to by the model stage, read by scrapes.</summary>
    private long _reseeds;
    private readonly Counter<long> _checkpointWrites;
    /// <summary>Cluster events since start, by kind: added to by the model stage, read by scrapes.</summary>
    private readonly long[] _clusterEvents = new long[Enum.GetValues<ClusterEventKind>().Length];
    private static readonly string[] ClusterEventKinds = [.. Enum.GetValues<ClusterEventKind>().Select(k => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(k.ToString()))];
    private IngestStage? _ingest;
    private Func<CheckpointStatus?>? _checkpoint;
    private Func<CentroidSnapshot?>? _latest;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/> (or a meter of its own).</summary>
    /// <param name="meterFactory">The host's meter factory, if any.</param>
    public StreamingClustersMetrics(IMeterFactory? meterFactory = null)
    {
        Meter meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _batches = meter.CreateCounter<long>("streamingclusters.batches", "{batch}", "Mini-batches applied to the model.");
        _batchDuration = meter.CreateHistogram<double>("streamingclusters.batch.duration", "s", "Time to run a batch's E-step and M-step and publish its snapshot.");
        // Observed rather than added to, so that the series is there at 0 before the first reseed.
        meter.CreateObservableCounter("streamingclusters.reseeds", () => Volatile.Read(ref _reseeds), "{cluster}", "Starved clusters reseeded from a recent point.");
        meter.CreateObservableCounter("streamingclusters.cluster.events", ClusterEvents, "{event}", "Changes of cluster ids since start, by kind (seeded, reseeded, removed, splitOff).");
        meter.CreateObservableCounter("streamingclusters.records.received", () => PerSource(s => s.Received), "{record}", "Records received, good or not.");
        meter.CreateObservableCounter("streamingclusters.points.applied", () => PerSource(s => s.Applied), "{point}", "Points applied to the model.");
        meter.CreateObservableCounter("streamingclusters.records.rejected", () => PerSource(s => s.Rejected), "{record}", "Records rejected and dead-lettered.");
        meter.CreateObservableGauge("streamingclusters.channel.points", () => _ingest?.PointsQueued ?? 0, "{point}", "Points waiting in the ingest channel.");
        meter.CreateObservableGauge("streamingclusters.model.version", () => Model(s => s.Version), "{version}", "The model version: M-steps applied; no sample before seeding.");
        _checkpointWrites = meter.CreateCounter<long>("streamingclusters.checkpoint.writes", "{write}", "Checkpoint writes, by outcome (written or failed).");
        meter.CreateObservableGauge("streamingclusters.checkpoint.consecutive_failures", () => _checkpoint?.Invoke()?.ConsecutiveFailures ?? 0, "{write}", "Checkpoint writes failed since the last good one; above zero the last good checkpoint is getting old.");
        meter.CreateObservableGauge("streamingclusters.model.mean_squared_distance", () => Model(s => s.MeanSquaredDistance), null, "Mean squared distance of the last batch's points to their centroids.");
        meter.CreateObservableGauge("streamingclusters.model.inertia", () => Model(s => s.Inertia), null, "The discounted k-means objective: each cluster's discounted squared distances, summed.");
        meter.CreateObservableGauge("streamingclusters.cluster.weight", Weights, "{point}", "Each cluster's weight (its discounted point count), by cluster index.");
    }

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
        _checkpointWrites.Add(1, new KeyValuePair<string, object?>("outcome", succeeded ? "written" : "failed"));

    /// <summary>Records one applied batch.</summary>
    /// <param name="duration">Its E-step, M-step and publishing time.</param>
    /// <param name="reseeds">The clusters it reseeded.</param>
    internal void BatchApplied(TimeSpan duration, int reseeds)
    {
        _batches.Add(1);
        _batchDuration.Record(duration.TotalSeconds);
        if (reseeds > 0)
        {
            Interlocked.Add(ref _reseeds, reseeds);
        }
    }

    /// <summary>Counts one cluster event.</summary>
    /// <param name="kind">Its kind.</param>
    internal void ClusterEvent(ClusterEventKind kind) => Interlocked.Increment(ref _clusterEvents[(int)kind]);

    private IEnumerable<Measurement<long>> ClusterEvents()
    {
        var measurements = new Measurement<long>[_clusterEvents.Length];
        for (int i = 0; i < measurements.Length; i++)
        {
            measurements[i] = new Measurement<long>(Volatile.Read(ref _clusterEvents[i]), new KeyValuePair<string, object?>("kind", ClusterEventKinds[i]));
        }

        return measurements;
    }

    /// <summary>Reads one value of the latest snapshot: none before seeding.</summary>
    private IEnumerable<Measurement<T>> Model<T>(Func<CentroidSnapshot, T> read)
        where T : struct =>
        _latest?.Invoke() is { } snapshot ? [new Measurement<T>(read(snapshot))] : [];

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
            measurements[c] = new Measurement<double>(weights[c], new KeyValuePair<string, object?>("cluster", ClusterLabel(c)));
        }

        return measurements;
    }

    private static string ClusterLabel(int cluster) =>
        cluster < ClusterLabels.Length ? ClusterLabels[cluster] : cluster.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private IEnumerable<Measurement<long>> PerSource(Func<SourceCounters, long> read) =>
        _ingest?.Sources.Select(s => new Measurement<long>(read(s), new KeyValuePair<string, object?>("source", s.Name))) ?? [];
}
