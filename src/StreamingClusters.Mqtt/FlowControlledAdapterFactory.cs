using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Channel;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Implementations;

namespace StreamingClusters.Mqtt;

/// <summary>
/// Makes the source's MQTTnet client read through a <see cref="FlowControlledChannel"/>: MQTTnet's own
/// TCP (and TLS) channel, on a socket of ours (<see cref="KeepAliveSocket"/>), under the window. Otherwise
/// as MQTTnet's <c>MqttClientAdapterFactory</c> does it.
/// </summary>
/// <param name="receipts">The connection's share of its source's window.</param>
internal sealed class FlowControlledAdapterFactory(ConnectionReceipts receipts) : IMqttClientAdapterFactory
{
    /// <inheritdoc/>
    public IMqttChannelAdapter CreateClientAdapter(MqttClientOptions options, MqttPacketInspector packetInspector, IMqttNetLogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ChannelOptions is not MqttClientTcpOptions tcp)
        {
            throw new NotSupportedException("The MQTT source connects over TCP (mqtt://, mqtts://) only.");
        }

        tcp.StreamProvider ??= KeepAliveSocket.Instance;
        var channel = new FlowControlledChannel(new MqttTcpChannel(options), receipts);
        var formatter = new MqttPacketFormatterAdapter(options.ProtocolVersion, new MqttBufferWriter(options.WriterBufferSize, options.WriterBufferSizeMax));
        return new MqttChannelAdapter(channel, formatter, logger)
        {
            AllowPacketFragmentation = options.AllowPacketFragmentation,
            PacketInspector = packetInspector,
        };
    }
}
