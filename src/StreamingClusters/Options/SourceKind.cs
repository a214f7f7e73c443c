namespace StreamingClusters.Options;

/// <summary>What kind of input a source is.</summary>
public enum SourceKind
{
    /// <summary>A file, a followed file, or standard input (<see cref="SourceOptions.Path"/>).</summary>
    File,

    /// <summary>An MQTT subscription; created by the MQTT provider (<c>AddStreamingClustersMqtt</c>, in StreamingClusters.Mqtt).</summary>
    Mqtt,
}
