using System.Globalization;

namespace StreamingClusters.Mqtt;

/// <summary>
/// Publishing the model to a broker (<c>StreamingClusters:MqttPublish</c>): each snapshot as a retained
/// message, cluster events, and optionally each batch's assignments. Off while <see cref="MqttBrokerSettings.Broker"/> is unset.
/// </summary>
public sealed class MqttPublishOptions : MqttBrokerSettings
{
    /// <summary>The configuration section, under <c>StreamingClusters</c>.</summary>
    public const string SectionName = "MqttPublish";

    /// <summary>Gets or sets the topic each snapshot is published on, retained (QoS 1), so that a new subscriber gets the latest at once.</summary>
    /// <value>The default value is <c>streamingclusters/model</c>.</value>
    public string SnapshotTopic { get; set; } = "streamingclusters/model";

    /// <summary>Gets or sets the topic cluster events (seeded, reseeded, removed, split off) are published on (QoS 1, not retained); empty for none.</summary>
    /// <value>The default value is <c>streamingclusters/events</c>.</value>
    public string? EventTopic { get; set; } = "streamingclusters/events";

    /// <summary>Gets or sets the topic each batch's assignments (every point, its cluster and squared distance) are published on (QoS 1); empty for none.</summary>
    /// <value>The default value is <see langword="null"/> (none).</value>
    public string? AssignmentTopic { get; set; }

    /// <summary>Gets or sets the least time between two snapshots published; the latest is published, those between are skipped (the final one always goes out).</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets a value indicating whether publishing is on.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Broker);

    /// <summary>Lists what is wrong with these settings, each message naming the setting.</summary>
    /// <returns>The problems; none when publishing is off or the settings are usable.</returns>
    public IEnumerable<string> Problems()
    {
        if (!Enabled)
        {
            yield break;
        }

        const string key = "StreamingClusters:" + SectionName;
        foreach (string problem in BrokerProblems(key))
        {
            yield return problem;
        }

        foreach ((string name, string? topic) in new[] { ("SnapshotTopic", SnapshotTopic), ("EventTopic", EventTopic), ("AssignmentTopic", AssignmentTopic) })
        {
            if ((name == "SnapshotTopic" || !string.IsNullOrEmpty(topic)) && (string.IsNullOrEmpty(topic) || topic.AsSpan().IndexOfAny("#+\0") >= 0))
            {
                yield return $"{key}:{name} '{topic}' must be a topic name without wildcards.";
            }
        }

        if (SnapshotInterval < TimeSpan.Zero)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{key}:SnapshotInterval must not be negative (got {SnapshotInterval}).");
        }
    }
}
