using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamingClusters.Model;

/// <summary>What happened to a cluster's id; in JSON in camelCase (<c>seeded</c>, <c>reseeded</c>, <c>removed</c>, <c>splitOff</c>).</summary>
[JsonConverter(typeof(ClusterEventKindConverter))]
public enum ClusterEventKind
{
    /// <summary>The cluster got its id when the model was seeded (or started from configured centroids).</summary>
    Seeded,

    /// <summary>A starved cluster was retired and a new one started in its slot at a recent point.</summary>
    Reseeded,

    /// <summary>A repair retired the cluster of least utility: its points go to their next-nearest clusters.</summary>
    Removed,

    /// <summary>A repair started a new cluster beside the one of largest error (<see cref="ClusterEvent.FromId"/>), in the slot a removal freed.</summary>
    SplitOff,
}

/// <summary>
/// A change of the clusters' ids: one id born, one retired, or both in one slot. Ids are never reused,
/// so "cluster 17" names one cluster for its whole life, from its <see cref="ClusterEventKind.Seeded"/>,
/// <see cref="ClusterEventKind.SplitOff"/> or <see cref="ClusterEventKind.Reseeded"/> event to the
/// <see cref="ClusterEventKind.Removed"/> or <see cref="ClusterEventKind.Reseeded"/> event that retires it.
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="Version">The model version that first shows the change.</param>
/// <param name="Slot">The centroid slot (the index in the snapshot's arrays) concerned.</param>
/// <param name="OldId">The id retired from the slot, or null when none was (seeding, a split-off into a slot the paired removal freed).</param>
/// <param name="NewId">The id the slot now has, or null when none (a removal).</param>
/// <param name="Reason">Why, in words and figures (for logs and people, not for parsing).</param>
public sealed record ClusterEvent(ClusterEventKind Kind, long Version, int Slot, long? OldId, long? NewId, string Reason)
{
    /// <summary>Gets the id of the cluster a split-off came from (it keeps its id), or null for other kinds.</summary>
    public long? FromId { get; init; }
}

/// <summary>Writes and reads <see cref="ClusterEventKind"/> as camelCase names.</summary>
public sealed class ClusterEventKindConverter() : JsonStringEnumConverter<ClusterEventKind>(JsonNamingPolicy.CamelCase, allowIntegerValues: false);
