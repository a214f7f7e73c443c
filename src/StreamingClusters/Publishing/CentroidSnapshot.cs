using System.Text.Json.Serialization;
using StreamingClusters.Model;
using StreamingClusters.Scaling;

namespace StreamingClusters.Publishing;

/// <summary>The totals of one source at the moment of a snapshot.</summary>
/// <param name="Name">The source's name.</param>
/// <param name="Received">Records received, good or not.</param>
/// <param name="Applied">Points applied to the model.</param>
/// <param name="Rejected">Records rejected and dead-lettered.</param>
/// <param name="Position">The resume position reached by applied points (a byte offset), or −1.</param>
public sealed record SourceTotals(string Name, long Received, long Applied, long Rejected, long Position)
{
    /// <summary>Gets the points received but neither applied nor rejected yet.</summary>
    public long InFlight => Received - Applied - Rejected;
}

/// <summary>
/// One immutable version of the model, as subscribers see it. Snapshots are never changed after they
/// are published; a new version is a new snapshot.
/// </summary>
public sealed record CentroidSnapshot
{
    /// <summary>Gets the model version: the number of M-steps applied.</summary>
    public required long Version { get; init; }

    /// <summary>Gets when the snapshot was taken.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Gets the number of clusters k.</summary>
    public required int Clusters { get; init; }

    /// <summary>Gets the dimension d.</summary>
    public required int Dimensions { get; init; }

    /// <summary>Gets the centroids: k arrays of d values.</summary>
    public required IReadOnlyList<double[]> Centroids { get; init; }

    /// <summary>Gets each cluster's weight (its discounted point count).</summary>
    public required IReadOnlyList<double> Weights { get; init; }

    /// <summary>Gets the number of points assigned to each cluster since it got its id (a reseeded cluster starts again from 0).</summary>
    public required IReadOnlyList<long> Counts { get; init; }

    /// <summary>
    /// Gets the names of the d columns, in the centroids' order, when a source named them (a CSV header, the
    /// configured columns of a CSV with a header, or the configured fields of JSON lines); null otherwise.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Columns { get; init; }

    /// <summary>Gets each cluster's id: lasting across versions, never reused (a reseed retires one id and creates another).</summary>
    public IReadOnlyList<long> Ids { get; init; } = [];

    /// <summary>
    /// Gets the discounted k-means objective: Σ_c of each cluster's discounted squared distances (for a
    /// mixture the soft one, Σ_c w_c Σ_j σ²_cj).
    /// </summary>
    public required double Inertia { get; init; }

    /// <summary>Gets the mean squared distance of the last batch's points to their centroids.</summary>
    public required double MeanSquaredDistance { get; init; }

    /// <summary>Gets the number of points in the last batch.</summary>
    public required long BatchPoints { get; init; }

    /// <summary>Gets the records received from every source.</summary>
    public required long PointsReceived { get; init; }

    /// <summary>Gets the points applied to the model.</summary>
    public required long PointsApplied { get; init; }

    /// <summary>Gets the records rejected and dead-lettered.</summary>
    public required long PointsRejected { get; init; }

    /// <summary>Gets the points received but not yet applied or rejected.</summary>
    public long PointsInFlight => PointsReceived - PointsApplied - PointsRejected;

    /// <summary>Gets the clusters the last M-step reseeded.</summary>
    public required IReadOnlyList<ReseedEvent> Reseeds { get; init; }

    /// <summary>Gets the totals of each source.</summary>
    public required IReadOnlyList<SourceTotals> Sources { get; init; }

    /// <summary>
    /// Gets the column scaling the model is built in (each column's mean and standard deviation, from the
    /// seeding buffer), or null when columns are taken as they come. The centroids are in the input's
    /// units either way; <see cref="Inertia"/> and <see cref="MeanSquaredDistance"/> are in the scaled space.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ColumnScalingState? Scaling { get; init; }

    /// <summary>Gets the model the snapshot is of: <c>KMeans</c> or <c>GaussianMixture</c>.</summary>
    public string Model { get; init; } = "KMeans";

    /// <summary>Gets a Gaussian mixture's variances: k arrays of d values, in the input's units; null for k-means.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<double[]>? Variances { get; init; }

    /// <summary>Gets a Gaussian mixture's priors (k values summing to 1); null for k-means.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<double>? Priors { get; init; }

    /// <summary>
    /// Gets a Gaussian mixture's mean log-likelihood per point over the stream (nats, discounted with the
    /// half-life, each point under the version it was assigned against); null for k-means.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? MeanLogLikelihood { get; init; }

    /// <summary>Gets a value indicating whether this is the last snapshot of the run (the stream has been drained).</summary>
    public bool IsFinal { get; init; }

    /// <summary>Gets, in cluster mode, the batches the model's grain dropped as duplicates (resent after their answer was lost); null in one process.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? DuplicatesDropped { get; init; }

    /// <summary>Gets, in cluster mode, the batches the grain applied that a silo had assigned against an older version; null in one process.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? StaleBatches { get; init; }
}
