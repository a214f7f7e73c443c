using System.Net;
using System.Net.Sockets;
using MQTTnet.Channel;

namespace StreamingClusters.Mqtt;

/// <summary>
/// The source's TCP socket: a 1 MiB buffer each way (<see cref="MqttBrokerSettings.SocketBufferSize"/>),
/// no Nagle delay, and an ordinary close (MQTTnet's own socket lingers 0 s, which resets the connection and
/// discards what is not yet sent, such as the last acknowledgements). While reads are paused, the MQTT
/// ping is answered by the source (<see cref="FlowControlledChannel"/>), so a broker host that is gone is
/// found by TCP instead: keep-alive probes after 15 s without traffic, every 5 s, 3 unanswered; and on
/// Linux a user timeout of 30 s for data sent (acknowledgements, pings) and not acknowledged by TCP.
/// </summary>
internal sealed class KeepAliveSocket : IMqttClientStreamProvider
{
    private const int IpProtocolTcp = 6;
    private const int TcpUserTimeout = 18;
    private const int UserTimeoutMilliseconds = 30_000;

    /// <summary>Gets the one provider.</summary>
    public static KeepAliveSocket Instance { get; } = new();

    /// <inheritdoc/>
    public async Task<Stream> ConnectAsync(EndPoint brokerEndPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.ReceiveBufferSize = MqttBrokerSettings.SocketBufferSize;
            socket.SendBufferSize = MqttBrokerSettings.SocketBufferSize;
            socket.NoDelay = true;
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 15);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 5);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
            if (OperatingSystem.IsLinux())
            {
                socket.SetRawSocketOption(IpProtocolTcp, TcpUserTimeout, BitConverter.GetBytes(UserTimeoutMilliseconds));
            }

            await socket.ConnectAsync(brokerEndPoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
