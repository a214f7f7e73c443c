namespace StreamingClusters.Mqtt;

/// <summary>
/// How one MQTT client (a source or the publisher) stands with its broker, and what it has received:
/// read from any thread (<c>/healthz</c>, logs, tests).
/// </summary>
public sealed class MqttConnectionStatus
{
    private long _messages;
    private long _redelivered;
    private long _redeliveredRecords;
    private long _acknowledged;
    private long _acknowledgementsDropped;
    private long _reconnects;
    private volatile bool _connected;
    private volatile string? _lastError;

    internal MqttConnectionStatus(string name, string broker)
    {
        Name = name;
        Broker = broker;
    }

    /// <summary>Gets the source's name, or <c>publisher</c>.</summary>
    public string Name { get; }

    /// <summary>Gets the broker, without credentials.</summary>
    public string Broker { get; }

    /// <summary>Gets a value indicating whether the client is connected now.</summary>
    public bool Connected => _connected;

    /// <summary>Gets why the last connection ended or the last attempt failed; null while connected.</summary>
    public string? LastError => _lastError;

    /// <summary>Gets the connections made after the first one.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>Gets the messages received.</summary>
    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>
    /// Gets the messages the broker marked as redelivered (MQTT's DUP flag): sent before, to a connection
    /// that ended before it acknowledged them. Each may have been applied before (a duplicate) or not.
    /// </summary>
    public long Redelivered => Interlocked.Read(ref _redelivered);

    /// <summary>Gets the records in redelivered messages: at most this many of the records applied are duplicates.</summary>
    public long RedeliveredRecords => Interlocked.Read(ref _redeliveredRecords);

    /// <summary>Gets the messages acknowledged to the broker.</summary>
    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    /// <summary>Gets the acknowledgements not sent because the connection that received the message had ended: the broker sends those messages again.</summary>
    public long AcknowledgementsDropped => Interlocked.Read(ref _acknowledgementsDropped);

    internal void SetConnected(bool reconnect)
    {
        if (reconnect)
        {
            Interlocked.Increment(ref _reconnects);
        }

        _lastError = null;
        _connected = true;
    }

    internal void SetDisconnected(string reason)
    {
        _lastError = reason;
        _connected = false;
    }

    internal void MessageReceived(bool redelivered)
    {
        Interlocked.Increment(ref _messages);
        if (redelivered)
        {
            Interlocked.Increment(ref _redelivered);
        }
    }

    internal void RedeliveredRecordsHandedIn(long records) => Interlocked.Add(ref _redeliveredRecords, records);

    internal void AcknowledgementSent() => Interlocked.Increment(ref _acknowledged);

    internal void AcknowledgementDropped() => Interlocked.Increment(ref _acknowledgementsDropped);
}
