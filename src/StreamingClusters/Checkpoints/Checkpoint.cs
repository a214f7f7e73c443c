using System.Text.Json.Serialization;
using StreamingClusters.Mixture;
using StreamingClusters.Model;
using StreamingClusters.Scaling;

namespace StreamingClusters.Checkpoints;

/// <summary>Where one source stood when a checkpoint was taken: every record before <see cref="Position"/> is applied or rejected.</summary>
/// <param name="Name">The source's name.</param>
/// <param name="Position">The resume position (a byte offset), or −1 for a source that cannot be replayed.</param>
/// <param name="Records">Records read through the position, good and rejected.</param>
/// <param name="Rejected">Records rejected through the position.</param>
/// <param name="Applied">Points applied.</param>
public sealed record SourceCheckpoint(string Name, long Position, long Records, long Rejected, long Applied);

/// <summary>
/// Everything needed to continue as if nothing had happened: the model's whole state (centroids,
/// weights, version, totals, random state, shape and options), the per-cluster counts, when the last
/// batch was applied, and each source's position and totals.
/// </summary>
public sealed record Checkpoint
{
    /// <summary>The version of the file format.</summary>
    public const int CurrentFormat = 1;

    /// <summary>Gets the file format version.</summary>
    public int Format { get; init; } = CurrentFormat;

    /// <summary>Gets the model's state.</summary>
    public required ClusterModelState Model { get; init; }

    /// <summary>Gets the points assigned to each cluster since it got its id.</summary>
#pragma warning disable CA1819 // Plain data for serialisation.
    public required long[] Counts { get; init; }
#pragma warning restore CA1819

    /// <summary>Gets when the last batch was applied (time half-lives go on counting across a restart).</summary>
    public required DateTimeOffset LastApplied { get; init; }

    /// <summary>Gets the column scaling the model is built in, or null when its columns are taken as they come.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ColumnScalingState? Scaling { get; init; }

    /// <summary>Gets a Gaussian mixture's variances, priors and log-likelihood, or null for k-means.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public MixtureState? Mixture { get; init; }

    /// <summary>Gets each source's position and totals.</summary>
    public required IReadOnlyList<SourceCheckpoint> Sources { get; init; }

    /// <summary>Gets when the checkpoint was written.</summary>
    public required DateTimeOffset Written { get; init; }
}
