using Microsoft.Extensions.Logging;

namespace StreamingClusters.Mqtt;

/// <summary>The MQTT clients' log lines.</summary>
internal static partial class MqttLog
{
    [LoggerMessage(EventId = 1800, Level = LogLevel.Information, Message = "MQTT {Client}: connected to {Broker} as '{ClientId}' (session present: {SessionPresent}), subscribed to {Topics}")]
    public static partial void Connected(ILogger logger, string client, string broker, string clientId, bool sessionPresent, string topics);

    [LoggerMessage(EventId = 1801, Level = LogLevel.Warning, Message = "MQTT {Client}: disconnected from {Broker} ({Reason}); reconnecting in {DelaySeconds} s")]
    public static partial void Disconnected(ILogger logger, string client, string broker, string reason, double delaySeconds);

    [LoggerMessage(EventId = 1802, Level = LogLevel.Information, Message = "MQTT {Client}: connected to {Broker} as '{ClientId}'")]
    public static partial void PublisherConnected(ILogger logger, string client, string broker, string clientId);

    [LoggerMessage(EventId = 1803, Level = LogLevel.Warning, Message = "MQTT {Client}: could not publish on {Topic}: {Reason}")]
    public static partial void PublishFailed(ILogger logger, string client, string topic, string reason);

    [LoggerMessage(EventId = 1804, Level = LogLevel.Information, Message = "MQTT {Client}: stopped; {Messages} messages received ({Redelivered} redelivered, holding {RedeliveredRecords} records), {Acknowledged} acknowledged so far; at most {MostHeld} held unacknowledged at once (window {Window}); reads paused {Pauses} times, {PingsAnswered} keep-alive pings answered while paused")]
    public static partial void SourceStopped(ILogger logger, string client, long messages, long redelivered, long redeliveredRecords, long acknowledged, long mostHeld, int window, long pauses, long pingsAnswered);

    [LoggerMessage(EventId = 1807, Level = LogLevel.Information, Message = "MQTT {Client}: left {Broker}, keeping the session; {Acknowledged} of {Messages} messages acknowledged (the rest are sent again at the next start)")]
    public static partial void Left(ILogger logger, string client, string broker, long acknowledged, long messages);

    [LoggerMessage(EventId = 1806, Level = LogLevel.Warning, Message = "MQTT publisher: {Blocks} assignment blocks were dropped before they reached {Topic} (the publisher fell behind the model; larger batches make fewer blocks)")]
    public static partial void AssignmentsDropped(ILogger logger, long blocks, string topic);

    [LoggerMessage(EventId = 1805, Level = LogLevel.Warning, Message = "MQTT {Client}: the broker {Broker} did not keep the session of '{ClientId}' (session present: false): readings published while the service was away and not acknowledged are gone unless the broker kept them")]
    public static partial void SessionLost(ILogger logger, string client, string broker, string clientId);
}
