using StreamingClusters.Options;

namespace StreamingClusters.Mqtt;

/// <summary>The MQTT settings written as durations (500ms, 30s, 10m…), for the normaliser of the <c>StreamingClusters</c> section.</summary>
internal static class MqttDurations
{
    /// <summary>The MQTT duration keys of the <c>StreamingClusters</c> section; <c>*</c> stands for any one segment.</summary>
    public static readonly string[] Keys =
    [
        "Sources:*:SessionExpiry", "Sources:*:ReconnectDelay", "Sources:*:MaxReconnectDelay", "Sources:*:KeepAlive",
        "MqttPublish:SnapshotInterval", "MqttPublish:ReconnectDelay", "MqttPublish:MaxReconnectDelay", "MqttPublish:KeepAlive",
    ];

    /// <summary>Every duration key of the <c>StreamingClusters</c> section: the library's and MQTT's.</summary>
    public static readonly string[] StreamingClustersKeys = [.. DurationConfiguration.StreamingClustersKeys, .. Keys];
}
