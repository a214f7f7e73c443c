using StreamingClusters.Ingest;
using StreamingClusters.MStep;
using StreamingClusters.Model;

namespace StreamingClusters.Publishing;

/// <summary>Builds the immutable snapshot of a model and the accounting of every source, as they stand.</summary>
/// <param name="model">The model.</param>
/// <param name="ledger">The sources' counters and positions.</param>
/// <param name="shape">The stream's dimension and column names.</param>
/// <param name="time">The clock of the snapshot's timestamp.</param>
internal sealed class SnapshotBuilder(IStreamingModel model, SourceLedger ledger, DimensionGate shape, TimeProvider time)
{
    /// <summary>Builds a snapshot; called on the model's thread only.</summary>
    /// <param name="isFinal">Whether it is the run's last.</param>
    /// <returns>The snapshot.</returns>
    public CentroidSnapshot Build(bool isFinal)
    {
        double inertia = 0;
        foreach (double e in model.Inertia)
        {
            inertia += e;
        }

        IReadOnlyList<SourceCounters> counters = ledger.Sources;
        var sources = new SourceTotals[counters.Count];
        long received = 0, applied = 0, rejected = 0;
        for (int i = 0; i < sources.Length; i++)
        {
            SourceCounters s = counters[i];
            sources[i] = new SourceTotals(s.Name, s.Received, s.Applied, s.Rejected, ledger.PositionOf(s.Name));
            received += sources[i].Received;
            applied += sources[i].Applied;
            rejected += sources[i].Rejected;
        }

        ModelUpdate? last = model.LastUpdate;
        return new CentroidSnapshot
        {
            Version = model.Version,
            Timestamp = time.GetUtcNow(),
            Clusters = model.Clusters,
            Dimensions = model.Dimensions,
            Centroids = new CentroidRows(model.Centroids, model.Dimensions),
            Weights = model.Weights.ToArray(),
            Counts = model.Counts.ToArray(),
            Ids = model.Ids.ToArray(),
            Columns = shape.ColumnNames is { } names && names.Count == model.Dimensions ? names : null,
            Inertia = inertia,
            MeanSquaredDistance = last?.MeanSquaredDistance ?? 0,
            BatchPoints = last?.Points ?? 0,
            PointsReceived = received,
            PointsApplied = applied,
            PointsRejected = rejected,
            Reseeds = last?.Reseeds ?? [],
            Sources = sources,
            Scaling = model.Scaling?.ToState(),
            Model = model.ScoreKind == ScoreKind.LogLikelihood ? nameof(Options.ModelKind.GaussianMixture) : nameof(Options.ModelKind.KMeans),
            Variances = model.Variances.IsEmpty ? null : new CentroidRows(model.Variances, model.Dimensions),
            Priors = model.Priors.IsEmpty ? null : model.Priors.ToArray(),
            MeanLogLikelihood = model.MeanLogLikelihood,
            IsFinal = isFinal,
        };
    }
}
