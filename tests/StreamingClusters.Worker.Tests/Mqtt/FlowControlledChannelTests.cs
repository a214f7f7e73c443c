using System.Buffers;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MQTTnet.Adapter;
using MQTTnet.Channel;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using StreamingClusters.Mqtt;

namespace StreamingClusters.Worker.Tests.Mqtt;

/// <summary>
/// The MQTT source's channel under MQTTnet's own packet reader (<see cref="MqttChannelAdapter"/>), over a
/// scripted socket: once the window is full the next PUBLISH's bytes stay unread until a message is given
/// back; the CONNACK is read whatever the window; a ping while reads are paused is answered at once and
/// the broker's answer, read later, dropped. No timing: what is asserted is which bytes were read.
/// </summary>
public sealed class FlowControlledChannelTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Receive_WindowFull_NextPublishLeftUnreadUntilAMessageIsGivenBack()
    {
        var window = new ReceiveWindow(2);
        var socket = new ScriptedSocket(Encode(new MqttConnAckPacket()), Encode(Publish(1)), Encode(Publish(2)), Encode(Publish(3)));
        using MqttChannelAdapter adapter = Adapter(socket, window);

        Assert.IsType<MqttConnAckPacket>(await adapter.ReceivePacketAsync(CancellationToken.None));
        Assert.Equal(1, Identifier(await adapter.ReceivePacketAsync(CancellationToken.None)));
        Assert.Equal(2, Identifier(await adapter.ReceivePacketAsync(CancellationToken.None)));
        Task<MqttPacket> third = adapter.ReceivePacketAsync(CancellationToken.None);

        Assert.False(third.IsCompleted);
        Assert.Equal(1, window.Pauses);
        Assert.Equal(Encode(Publish(3)).Length, socket.Unread);
        Assert.Equal(2, window.Held);

        window.Release(1);
        Assert.Equal(3, Identifier(await third.WaitAsync(Hang)));
        Assert.Equal(0, socket.Unread);
        Assert.Equal(2, window.Held);
        Assert.Equal(2, window.MostHeld);
    }

    [Fact]
    public async Task Receive_WindowHeldByAnEarlierConnection_TheConnAckIsStillRead()
    {
        var window = new ReceiveWindow(1);
        window.Take();
        var socket = new ScriptedSocket(Encode(new MqttConnAckPacket()), Encode(Publish(1)));
        using MqttChannelAdapter adapter = Adapter(socket, window);

        Assert.IsType<MqttConnAckPacket>(await adapter.ReceivePacketAsync(CancellationToken.None).WaitAsync(Hang));
        Task<MqttPacket> publish = adapter.ReceivePacketAsync(CancellationToken.None);
        Assert.False(publish.IsCompleted);
        Assert.Equal(Encode(Publish(1)).Length, socket.Unread);

        window.Release(1);
        Assert.Equal(1, Identifier(await publish.WaitAsync(Hang)));
    }

    [Fact]
    public async Task Ping_WhileReadsArePaused_AnsweredAtOnceAndTheBrokersAnswerDroppedWhenReached()
    {
        var window = new ReceiveWindow(1);
        var socket = new ScriptedSocket(
            Encode(new MqttConnAckPacket()), Encode(Publish(1)), Encode(Publish(2)), Encode(MqttPingRespPacket.Instance), Encode(Publish(3)));
        using MqttChannelAdapter adapter = Adapter(socket, window);
        Assert.IsType<MqttConnAckPacket>(await adapter.ReceivePacketAsync(CancellationToken.None));
        Assert.Equal(1, Identifier(await adapter.ReceivePacketAsync(CancellationToken.None)));
        Task<MqttPacket> paused = adapter.ReceivePacketAsync(CancellationToken.None);
        Assert.False(paused.IsCompleted);
        int unread = socket.Unread;

        await adapter.SendPacketAsync(MqttPingReqPacket.Instance, CancellationToken.None);

        // MQTTnet gets its PINGRESP without a byte more read: the broker's comes after publish 2.
        Assert.IsType<MqttPingRespPacket>(await paused.WaitAsync(Hang));
        Assert.Equal(unread, socket.Unread);
        Assert.Equal(1, window.PingsAnswered);
        Assert.Equal([0xC0, 0x00], socket.Written);

        // Paused again until a message is given back; then publish 2, and the broker's PINGRESP is dropped on the way to publish 3.
        Task<MqttPacket> second = adapter.ReceivePacketAsync(CancellationToken.None);
        Assert.False(second.IsCompleted);
        window.Release(1);
        Assert.Equal(2, Identifier(await second.WaitAsync(Hang)));
        window.Release(1);
        Assert.Equal(3, Identifier(await adapter.ReceivePacketAsync(CancellationToken.None).WaitAsync(Hang)));
        Assert.Equal(0, socket.Unread);
        Assert.Equal(1, window.MostHeld);
    }

    [Fact]
    public async Task Ping_WhileReadsFlow_TheBrokersAnswerIsRead()
    {
        var window = new ReceiveWindow(5);
        var socket = new ScriptedSocket(Encode(new MqttConnAckPacket()), Encode(Publish(1)), Encode(MqttPingRespPacket.Instance), Encode(Publish(2)));
        using MqttChannelAdapter adapter = Adapter(socket, window);
        Assert.IsType<MqttConnAckPacket>(await adapter.ReceivePacketAsync(CancellationToken.None));

        await adapter.SendPacketAsync(MqttPingReqPacket.Instance, CancellationToken.None);

        Assert.Equal(1, Identifier(await adapter.ReceivePacketAsync(CancellationToken.None)));
        Assert.IsType<MqttPingRespPacket>(await adapter.ReceivePacketAsync(CancellationToken.None));
        Assert.Equal(2, Identifier(await adapter.ReceivePacketAsync(CancellationToken.None)));
        Assert.Equal(0, window.PingsAnswered);
        Assert.Equal(0, window.Pauses);
    }

    private static MqttChannelAdapter Adapter(ScriptedSocket socket, ReceiveWindow window) =>
        new(new FlowControlledChannel(socket, new ConnectionReceipts(window)), Formatter(), MqttNetNullLogger.Instance);

    private static MqttPacketFormatterAdapter Formatter() => new(MqttProtocolVersion.V500, new MqttBufferWriter(4096, 65536));

    private static byte[] Encode(MqttPacket packet) => Formatter().Encode(packet).ToArray();

    private static MqttPublishPacket Publish(ushort identifier) => new()
    {
        Topic = "sensors/m1",
        PayloadSegment = new ArraySegment<byte>(Encoding.UTF8.GetBytes($$"""{"a": {{identifier}}, "b": 2}""")),
        QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce,
        PacketIdentifier = identifier,
    };

    private static int Identifier(MqttPacket packet) => Assert.IsType<MqttPublishPacket>(packet).PacketIdentifier;

    /// <summary>A broker's socket that has sent the given packets: reads take what is asked, as far as there is any; writes are kept.</summary>
    private sealed class ScriptedSocket(params byte[][] packets) : IMqttChannel
    {
        private readonly byte[] _incoming = [.. packets.SelectMany(p => p)];
        private readonly List<byte> _written = [];
        private int _read;

        public int Unread => _incoming.Length - Volatile.Read(ref _read);

        public byte[] Written
        {
            get
            {
                lock (_written)
                {
                    return [.. _written];
                }
            }
        }

        public X509Certificate2 ClientCertificate => null!;

        public EndPoint RemoteEndPoint => new IPEndPoint(IPAddress.Loopback, 1883);

        public EndPoint LocalEndPoint => new IPEndPoint(IPAddress.Loopback, 50000);

        public bool IsSecureConnection => false;

        public Task ConnectAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task DisconnectAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            int n = Math.Min(count, _incoming.Length - _read);
            if (n == 0)
            {
                // Nothing more was sent: a test that reads on is waiting for what it should not.
                throw new InvalidOperationException("Read past what the broker sent.");
            }

            Array.Copy(_incoming, _read, buffer, offset, n);
            Volatile.Write(ref _read, _read + n);
            return Task.FromResult(n);
        }

        public Task WriteAsync(ReadOnlySequence<byte> buffer, bool isEndOfPacket, CancellationToken cancellationToken)
        {
            lock (_written)
            {
                _written.AddRange(buffer.ToArray());
            }

            return Task.CompletedTask;
        }

        public void Dispose()
        {
        }
    }
}
