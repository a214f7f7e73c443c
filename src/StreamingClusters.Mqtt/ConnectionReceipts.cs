namespace StreamingClusters.Mqtt;

/// <summary>
/// One connection's share of its source's <see cref="ReceiveWindow"/>: a message read from the socket is
/// taken from the window, and given back when acknowledged or dropped; when the connection ends, the
/// messages it read that never reached the source (still inside the MQTT client) are given back at once.
/// After that, nothing more read on it counts or is delivered: the broker sends those messages again on the
/// next connection.
/// </summary>
internal sealed class ConnectionReceipts
{
    private readonly Lock _lock = new();
    private long _read;
    private long _delivered;
    private bool _ended;

    /// <summary>Creates the receipts of a connection.</summary>
    /// <param name="window">The source's window.</param>
    public ConnectionReceipts(ReceiveWindow window) => Window = window;

    /// <summary>Gets the source's window.</summary>
    public ReceiveWindow Window { get; }

    /// <summary>Gets the messages read from this connection's socket.</summary>
    public long Read
    {
        get
        {
            lock (_lock)
            {
                return _read;
            }
        }
    }

    /// <summary>A message was read from the socket (called by the channel, as its first byte is read).</summary>
    public void MessageRead()
    {
        lock (_lock)
        {
            if (!_ended)
            {
                _read++;
                Window.Take();
            }
        }
    }

    /// <summary>The client hands a message to the source: true if it is to be delivered, false once the connection has ended.</summary>
    /// <returns>Whether to deliver it; if so, it is given back to the window when acknowledged or dropped.</returns>
    public bool TryDeliver()
    {
        lock (_lock)
        {
            if (_ended)
            {
                return false;
            }

            _delivered++;
            return true;
        }
    }

    /// <summary>The connection has ended: gives back what it read and did not deliver.</summary>
    public void End()
    {
        lock (_lock)
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            Window.Release(_read - _delivered);
        }
    }
}
