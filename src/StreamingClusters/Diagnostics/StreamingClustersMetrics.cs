using System.Diagnostics.Metrics;
using StreamingClusters.Checkpoints;
using StreamingClusters.Ingest;
using StreamingClusters.Publishing;

namespace StreamingClusters.Diagnostics;

/// <summary>
/// The pipeline's instruments, on the meter <see cref="MeterName"/>: records received, applied and
/// rejected per source; batches, their latency and size; reseeds; the points waiting in the channel;
/// the model's version and mean squared distance; checkpoint writes, good and failed, and the failures
/// in a row (above zero means the last write failed and a restart would go back further). Counts are read from the pipeline's own accounting,
/// so metrics and snapshots never disagree.
/// </summary>
public sealed class StreamingClustersMetrics
{
    /// <summary>The name of the meter, for exporters to listen to.</summary>
    public const string MeterName = "StreamingClusters";

    private readonly Counter<long> _batches;
    private readonly Histogram<double> _batchDuration;
    private readonly Counter<long> _reseeds;
    private readonly Counter<long> _checkpointWrites;
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
        _reseeds = meter.CreateCounter<long>("streamingclusters.reseeds", "{cluster}", "Starved clusters reseeded from a recent point.");
        meter.CreateObservableCounter("streamingclusters.records.received", () => PerSource(s => s.Received), "{record}", "Records received, good or not.");
        meter.CreateObservableCounter("streamingclusters.points.applied", () => PerSource(s => s.Applied), "{point}", "Points applied to the model.");
        meter.CreateObservableCounter("streamingclusters.records.rejected", () => PerSource(s => s.Rejected), "{record}", "Records rejected and dead-lettered.");
        meter.CreateObservableGauge("streamingclusters.channel.points", () => _ingest?.PointsQueued ?? 0, "{point}", "Points waiting in the ingest channel.");
        meter.CreateObservableGauge("streamingclusters.model.version", () => _latest?.Invoke()?.Version ?? 0, "{version}", "The model version: M-steps applied.");
        _checkpointWrites = meter.CreateCounter<long>("streamingclusters.checkpoint.writes", "{write}", "Checkpoint writes, by outcome (written or failed).");
        meter.CreateObservableGauge("streamingclusters.checkpoint.consecutive_failures", () => _checkpoint?.Invoke()?.ConsecutiveFailures ?? 0, "{write}", "Checkpoint writes failed since the last good one; above zero the last good checkpoint is getting old.");
        meter.CreateObservableGauge("streamingclusters.model.mean_squared_distance", () => _latest?.Invoke()?.MeanSquaredDistance ?? 0, null, "Mean squared distance of the last batch's points to their centroids.");
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
            _reseeds.Add(reseeds);
        }
    }

    private IEnumerable<Measurement<long>> PerSource(Func<SourceCounters, long> read) =>
        _ingest?.Sources.Select(s => new Measurement<long>(read(s), new KeyValuePair<string, object?>("source", s.Name))) ?? [];
}
