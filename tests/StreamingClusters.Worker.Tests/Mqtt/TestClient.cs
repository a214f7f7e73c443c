using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace StreamingClusters.Worker.Tests.Mqtt;

/// <summary>A plain MQTTnet client for the tests: publishes readings with QoS 1 and collects what the worker publishes.</summary>
internal sealed class TestClient : IAsyncDisposable
{
    private readonly IMqttClient _client;

    private TestClient(IMqttClient client) => _client = client;

    public static async Task<TestClient> ConnectAsync(Mosquitto broker, string clientId, Func<MqttApplicationMessage, Task>? received = null)
    {
        IMqttClient client = new MqttClientFactory().CreateMqttClient();
        if (received is not null)
        {
            client.ApplicationMessageReceivedAsync += e => received(e.ApplicationMessage);
        }

        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithClientId(clientId).Build());
        return new TestClient(client);
    }

    public async Task SubscribeAsync(string topic)
    {
        MqttClientSubscribeResult result = await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce).Build());
        Assert.All(result.Items, i => Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, i.ResultCode));
    }

    /// <summary>Publishes with QoS 1 and returns once the broker has acknowledged it.</summary>
    public async Task PublishAsync(string topic, string payload)
    {
        MqttClientPublishResult result = await _client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(Encoding.UTF8.GetBytes(payload))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        Assert.True(result.IsSuccess || result.ReasonCode == MqttClientPublishReasonCode.NoMatchingSubscribers, $"{result.ReasonCode} {result.ReasonString}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync();
        }

        _client.Dispose();
    }
}
