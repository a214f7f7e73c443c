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
    private ReceiveWindow? _window;

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

    /// <summary>
    /// Gets the most messages a source may hold read from the broker and not yet acknowledged
    /// (<see cref="MqttSourceOptions.MaxUnacknowledged"/>): while it holds that many, it stops reading its
    /// socket and TCP's flow control holds the broker back. 0 for the publisher.
    /// </summary>
    public int Window => Volatile.Read(ref _window)?.Limit ?? 0;

    /// <summary>Gets the messages a source holds now: read from the broker's socket and not yet acknowledged (or dropped).</summary>
    public long Unacknowledged => Volatile.Read(ref _window)?.Held ?? 0;

    /// <summary>Gets the most messages a source has held at once (see <see cref="Unacknowledged"/>): at most <see cref="Window"/>.</summary>
    public long MostUnacknowledged => Volatile.Read(ref _window)?.MostHeld ?? 0;

    /// <summary>Gets how many times a source stopped reading its socket because it held a full window.</summary>
    public long ReadPauses => Volatile.Read(ref _window)?.Pauses ?? 0;

    /// <summary>
    /// Gets the keep-alive pings a source answered itself while its reads were paused (the broker's answer
    /// waits behind the messages it has sent, which are not read until the window has room).
    /// </summary>
    public long PingsAnsweredWhilePaused => Volatile.Read(ref _window)?.PingsAnswered ?? 0;

    internal void Watch(ReceiveWindow window) => Volatile.Write(ref _window, window);

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
