using System.Buffers;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Channel;

namespace StreamingClusters.Mqtt;

/// <summary>
/// The source's connection to the broker (TCP, or TLS over it): reads wait while the source holds a full
/// window of messages read and not yet acknowledged, so that the broker is held back by TCP's flow control
/// rather than by its own honouring of the receive maximum.
/// </summary>
/// <remarks>
/// <para>
/// MQTTnet reads every packet off the socket into its own unbounded queue, whatever the application does
/// with them; and a broker may send more than the receive maximum asked for (mosquitto before 2.0.13 does,
/// for a session's queued messages). This channel sits under MQTTnet's packet reader: it follows the
/// packet boundaries of what it reads (a fixed header, a remaining length, a body) and, before the first
/// byte of each packet after the CONNACK, waits while <see cref="ReceiveWindow.HasRoom"/> is false. MQTTnet
/// reads a packet's fixed header in a read of its own, so a window of N holds at most N messages.
/// While reads wait, the kernel's socket buffers fill, the broker's sends stop, and the rest of the backlog
/// stays in the broker. Writes are never held: acknowledgements (PUBACK), which open the window, and
/// pings still go out.
/// </para>
/// <para>
/// Keep-alive: MQTTnet pings once nothing has been sent for the keep-alive period (acknowledgements count),
/// and drops the connection if the PINGRESP has not been read within half of it. The broker queues its
/// PINGRESP behind the messages it has sent, which a paused reader does not read; reading on to it would
/// let in whatever the broker has put in the socket past the window. So while reads are paused, a ping
/// is answered here: the PINGREQ still goes to the broker (which keeps the broker's keep-alive satisfied),
/// MQTTnet is handed a PINGRESP at once, and the broker's own PINGRESP is dropped when it is read (they
/// come in order). Counted in <see cref="ReceiveWindow.PingsAnswered"/>. While reads are paused, a broker
/// that is gone is found by the socket's TCP keep-alive and user timeout (<see cref="KeepAliveSocket"/>)
/// instead of by the ping.
/// </para>
/// </remarks>
internal sealed class FlowControlledChannel : IMqttChannel
{
    private const int Publish = 3;
    private const int ConnAck = 2;
    private const int PingReq = 12;
    private const byte PingRespFirstByte = 0xD0;

    private readonly IMqttChannel _inner;
    private readonly ConnectionReceipts _receipts;
    private readonly CancellationTokenSource _disposed = new();

    // The reading side (one reader: MQTTnet's packet loop).
    private ReadState _state = ReadState.FirstByte;
    private int _remaining;
    private int _lengthShift;
    private bool _established;

    /// <summary>PINGRESPs answered here whose counterpart from the broker is still to be dropped.</summary>
    private int _pingRespsToDrop;

    // The writing side (MQTTnet serialises writes).
    private bool _writeAtPacketStart = true;

    // Set by the writer when it writes a PINGREQ, cleared by the reader when the ping is answered (here or by the broker).
    private volatile bool _pingOutstanding;
    private TaskCompletionSource _pingWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Wraps a channel.</summary>
    /// <param name="inner">The TCP (or TLS) channel.</param>
    /// <param name="receipts">The connection's share of its source's window.</param>
    public FlowControlledChannel(IMqttChannel inner, ConnectionReceipts receipts)
    {
        _inner = inner;
        _receipts = receipts;
    }

    private enum ReadState
    {
        FirstByte,
        Length,
        Body,
    }

    /// <inheritdoc/>
    public X509Certificate2 ClientCertificate => _inner.ClientCertificate;

    /// <inheritdoc/>
    public EndPoint RemoteEndPoint => _inner.RemoteEndPoint;

    /// <inheritdoc/>
    public EndPoint LocalEndPoint => _inner.LocalEndPoint;

    /// <inheritdoc/>
    public bool IsSecureConnection => _inner.IsSecureConnection;

    /// <inheritdoc/>
    public Task ConnectAsync(CancellationToken cancellationToken) => _inner.ConnectAsync(cancellationToken);

    /// <inheritdoc/>
    public Task DisconnectAsync(CancellationToken cancellationToken)
    {
        Release();
        return _inner.DisconnectAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_state == ReadState.FirstByte && _established && !_receipts.Window.HasRoom && await PauseAsync(canAnswer: count >= 2, cancellationToken).ConfigureAwait(false))
            {
                // Paused with a ping out: answer it (MQTTnet reads a fixed header, two bytes, at a packet's start).
                _pingRespsToDrop++;
                _receipts.Window.PingAnswered();
                buffer[offset] = PingRespFirstByte;
                buffer[offset + 1] = 0;
                return 2;
            }

            int read = await _inner.ReadAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false);
            if (read > 0 && _state == ReadState.FirstByte && _pingRespsToDrop > 0 && buffer[offset] == PingRespFirstByte)
            {
                // The broker's answer to a ping answered here: drop its two bytes.
                if (read == 1 && await _inner.ReadAsync(buffer, offset + 1, 1, cancellationToken).ConfigureAwait(false) == 0)
                {
                    return 0;
                }

                _pingRespsToDrop--;
                int rest = Math.Max(read - 2, 0);
                if (rest == 0)
                {
                    continue;
                }

                Buffer.BlockCopy(buffer, offset + 2, buffer, offset, rest);
                read = rest;
            }

            Follow(buffer.AsSpan(offset, read));
            return read;
        }
    }

    /// <inheritdoc/>
    public Task WriteAsync(ReadOnlySequence<byte> buffer, bool isEndOfPacket, CancellationToken cancellationToken)
    {
        if (_writeAtPacketStart && FirstByte(buffer) is byte first && first >> 4 == PingReq)
        {
            // Before the write, so that the PINGRESP cannot be read before the ping is known to be out.
            _pingOutstanding = true;
            Volatile.Read(ref _pingWritten).TrySetResult();
        }

        _writeAtPacketStart = isEndOfPacket;
        return _inner.WriteAsync(buffer, isEndOfPacket, cancellationToken);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Release();
        _inner.Dispose();
    }

    private static byte? FirstByte(ReadOnlySequence<byte> buffer)
    {
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            if (!segment.IsEmpty)
            {
                return segment.Span[0];
            }
        }

        return null;
    }

    /// <summary>Waits, at a packet's start, until the window has room or a ping is out.</summary>
    /// <param name="canAnswer">Whether the read can take a PINGRESP (two bytes).</param>
    /// <param name="cancellationToken">Cancelled when the connection ends.</param>
    /// <returns>True if a ping is out and is to be answered here; false once the window has room.</returns>
    private async Task<bool> PauseAsync(bool canAnswer, CancellationToken cancellationToken)
    {
        bool counted = false;
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        while (!_receipts.Window.HasRoom)
        {
            if (canAnswer && _pingOutstanding)
            {
                PingAnswered();
                return true;
            }

            if (!counted)
            {
                _receipts.Window.Paused();
                counted = true;
            }

            Task room = _receipts.Window.WhenRoom();
            Task ping = canAnswer ? Volatile.Read(ref _pingWritten).Task : Task.Delay(Timeout.Infinite, waiting.Token);
            await Task.WhenAny(room, ping).WaitAsync(waiting.Token).ConfigureAwait(false);
        }

        return false;
    }

    /// <summary>The ping out has its answer: the next PINGREQ will be waited for afresh.</summary>
    private void PingAnswered()
    {
        // Replaced before the answer is handed to MQTTnet, which writes no other PINGREQ before it has one.
        Volatile.Write(ref _pingWritten, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _pingOutstanding = false;
    }

    /// <summary>Follows the packets through the bytes read: counts each PUBLISH as its first byte arrives, notes the CONNACK and the PINGRESP.</summary>
    private void Follow(ReadOnlySpan<byte> bytes)
    {
        int i = 0;
        while (i < bytes.Length)
        {
            switch (_state)
            {
                case ReadState.FirstByte:
                    int type = bytes[i++] >> 4;
                    if (type == Publish)
                    {
                        _receipts.MessageRead();
                    }
                    else if (type == PingRespFirstByte >> 4)
                    {
                        PingAnswered();
                    }
                    else if (type == ConnAck)
                    {
                        // From the next packet on, reads are held while the window is full.
                        _established = true;
                    }

                    _state = ReadState.Length;
                    _remaining = 0;
                    _lengthShift = 0;
                    break;

                case ReadState.Length:
                    byte encoded = bytes[i++];
                    _remaining |= (encoded & 0x7F) << _lengthShift;
                    _lengthShift += 7;
                    if ((encoded & 0x80) == 0)
                    {
                        _state = _remaining == 0 ? ReadState.FirstByte : ReadState.Body;
                    }
                    else if (_lengthShift > 21)
                    {
                        // Not MQTT (at most four length bytes): MQTTnet's reader fails the connection; stop following.
                        _state = ReadState.Body;
                        _remaining = int.MaxValue;
                    }

                    break;

                case ReadState.Body:
                    int skipped = Math.Min(_remaining, bytes.Length - i);
                    i += skipped;
                    _remaining -= skipped;
                    if (_remaining == 0)
                    {
                        _state = ReadState.FirstByte;
                    }

                    break;
            }
        }
    }

    private void Release()
    {
        try
        {
            _disposed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
