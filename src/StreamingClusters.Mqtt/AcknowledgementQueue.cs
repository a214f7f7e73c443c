namespace StreamingClusters.Mqtt;

/// <summary>Where a message's acknowledgement goes: the connection that received it.</summary>
internal interface IAcknowledger
{
    /// <summary>Gets a value indicating whether the connection is still up.</summary>
    bool IsConnected { get; }

    /// <summary>Sends the acknowledgement of a message this connection received.</summary>
    /// <param name="message">What the client handed over with the message.</param>
    /// <param name="cancellationToken">Cancelled when the send has taken too long.</param>
    /// <returns>A task that completes once sent, or fails.</returns>
    Task AcknowledgeAsync(object message, CancellationToken cancellationToken);
}

/// <summary>
/// The messages read and not yet acknowledged, in the order received; each is acknowledged, on the
/// connection that received it, once a committed position covers it.
/// </summary>
/// <remarks>
/// <para>
/// In order, none skipped: a message leaves the queue only once its acknowledgement is sent or counted as
/// dropped, and rounds never overlap (a second caller, such as the shutdown's last round, waits for the
/// round under way), so no acknowledgement goes out before an earlier one and none is lost between two
/// rounds. MQTT asks for QoS 1 acknowledgements in the order the messages came (MQTT-4.6.0-2).
/// </para>
/// <para>
/// Bounded: a send is limited by its own timeout, not cut short by closing (which would skip the message
/// and let later ones go first); once a send fails or times out on a connection, that connection's later
/// messages are dropped at once rather than each waiting out its timeout. A dropped message, or one whose
/// connection is no longer the current one, is sent again by the broker on the next connection.
/// </para>
/// <para>Each message leaving the queue is given back to the window (<see cref="ReceiveWindow.Release"/>).</para>
/// </remarks>
internal sealed class AcknowledgementQueue : IDisposable
{
    /// <summary>The longest an acknowledgement's send may take before it counts as dropped.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly Queue<Entry> _entries = new();
    private readonly SemaphoreSlim _round = new(1, 1);
    private readonly Func<IAcknowledger?> _current;
    private readonly ReceiveWindow _window;
    private readonly MqttConnectionStatus _status;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;

    /// <summary>The connection on which a send failed: its later messages are dropped at once (one round at a time reads and writes it).</summary>
    private IAcknowledger? _failed;

    /// <summary>Creates the queue.</summary>
    /// <param name="current">The connection receiving now, or null while disconnected.</param>
    /// <param name="window">Where each message is given back once it leaves.</param>
    /// <param name="status">Where acknowledgements sent and dropped are counted.</param>
    /// <param name="time">The clock of the sends' timeout.</param>
    /// <param name="timeout">The longest one send may take.</param>
    public AcknowledgementQueue(Func<IAcknowledger?> current, ReceiveWindow window, MqttConnectionStatus status, TimeProvider time, TimeSpan timeout)
    {
        _current = current;
        _window = window;
        _status = status;
        _time = time;
        _timeout = timeout;
    }

    /// <summary>Gets the messages in the queue.</summary>
    public int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Adds a message, after those received before it.</summary>
    /// <param name="position">Its number in the source.</param>
    /// <param name="connection">The connection that received it.</param>
    /// <param name="message">What the client handed over with it, for its acknowledgement.</param>
    public void Add(long position, IAcknowledger connection, object message)
    {
        lock (_entries)
        {
            _entries.Enqueue(new Entry(position, connection, message));
        }
    }

    /// <summary>Acknowledges, in order, every message at or before <paramref name="committed"/>.</summary>
    /// <param name="committed">The committed position.</param>
    /// <returns>A task that completes once every such message has been sent or dropped.</returns>
    public async Task SendDueAsync(long committed)
    {
        await _round.WaitAsync().ConfigureAwait(false);
        try
        {
            while (true)
            {
                Entry due;
                lock (_entries)
                {
                    if (!_entries.TryPeek(out due) || due.Position > committed)
                    {
                        return;
                    }
                }

                if (await TrySendAsync(due).ConfigureAwait(false))
                {
                    _status.AcknowledgementSent();
                }
                else
                {
                    // The connection that received it has ended, or the send failed: the broker sends it again.
                    _status.AcknowledgementDropped();
                }

                lock (_entries)
                {
                    _entries.Dequeue();
                }

                _window.Release(1);
            }
        }
        finally
        {
            _round.Release();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _round.Dispose();

    private async Task<bool> TrySendAsync(Entry due)
    {
        if (due.Connection != _current() || due.Connection == _failed || !due.Connection.IsConnected)
        {
            return false;
        }

        try
        {
            using var timeout = new CancellationTokenSource(_timeout, _time);
            await due.Connection.AcknowledgeAsync(due.Message, timeout.Token).ConfigureAwait(false);
            return true;
        }
#pragma warning disable CA1031 // A connection that broke under the send, or a send that timed out: the broker sends the message again.
        catch (Exception)
#pragma warning restore CA1031
        {
            // Those after it on this connection are dropped at once, not each after its own timeout.
            _failed = due.Connection;
            return false;
        }
    }

    private readonly record struct Entry(long Position, IAcknowledger Connection, object Message);
}
