using System.Diagnostics.Metrics;
using StreamingClusters.Diagnostics;
using StreamingClusters.Models;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// The models' series of /metrics in cluster mode, where no model runs in this process: every model of
/// the cluster, <c>default</c> among them, as its grain last persisted it — points applied and rejected,
/// the version, whether it is seeded, its k — on the <see cref="StreamingClustersMetrics.MeterName"/>
/// meter, under the names single-process mode uses for the same values and with the same <c>model</c> tag.
/// </summary>
/// <remarks>
/// The values are those of the rounds of <see cref="ClusterHealth"/> (at most one a second, shared with
/// /healthz); a scrape starts one when the last is older, and exports the last reading without waiting
/// for it. Every worker reads the whole cluster, so every worker exports the same series: a sum over
/// workers counts each model once per worker. A model that did not answer the last round has no
/// sample in it (the exporter may repeat its earlier value); the version, as in single-process mode,
/// has none before seeding.
/// </remarks>
internal sealed class ClusterModelMetrics
{
    private readonly ClusterHealth _health;
    private readonly Func<IModelCatalog> _catalog;

    /// <summary>Creates the instruments.</summary>
    /// <param name="meterFactory">The host's meter factory, if any (else a meter of its own).</param>
    /// <param name="health">The rounds of readings of the worker's /healthz.</param>
    /// <param name="catalog">Gives the cluster's catalog, at the first scrape (not while the host is being built).</param>
    public ClusterModelMetrics(IMeterFactory? meterFactory, ClusterHealth health, Func<IModelCatalog> catalog)
    {
        _health = health;
        _catalog = catalog;
        Meter = meterFactory?.Create(StreamingClustersMetrics.MeterName) ?? new Meter(StreamingClustersMetrics.MeterName);
        // No source tag, unlike single-process mode: the status a grain gives cheaply has the model's totals only.
        Meter.CreateObservableCounter("streamingclusters.points.applied", () => Read(m => m.PointsApplied), "{point}", "Points applied to the model, as its grain persisted them.");
        Meter.CreateObservableCounter("streamingclusters.records.rejected", () => Read(m => m.PointsRejected), "{record}", "Records and points rejected (unreadable, not finite, out of range, or refused by the model).");
        Meter.CreateObservableGauge("streamingclusters.model.version", () => Read(m => m.Version, seededOnly: true), "{version}", "The model version: M-steps applied; no sample before seeding.");
        Meter.CreateObservableGauge("streamingclusters.model.seeded", () => Read(m => m.Version >= 0 ? 1 : 0), null, "1 once the model is seeded, 0 before.");
        Meter.CreateObservableGauge("streamingclusters.model.clusters", () => Read(m => m.Clusters), "{cluster}", "The model's k, from its definition.");
    }

    /// <summary>Gets the meter of the instruments.</summary>
    internal Meter Meter { get; }

    private IEnumerable<Measurement<long>> Read(Func<ModelInfo, long> read, bool seededOnly = false)
    {
        if (_health.Latest(_catalog()) is not { } reading)
        {
            return [];
        }

        return [.. reading.Described
            .Where(m => !seededOnly || m.Version >= 0)
            .Select(m => new Measurement<long>(read(m), new KeyValuePair<string, object?>("model", m.Name)))];
    }
}
