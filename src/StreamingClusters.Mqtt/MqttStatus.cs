namespace StreamingClusters.Mqtt;

/// <summary>Every MQTT client of the service (its sources, its publisher), for <c>/healthz</c> and the logs.</summary>
public sealed class MqttStatus
{
    private readonly List<MqttConnectionStatus> _clients = [];

    /// <summary>Gets the clients, in the order they were made.</summary>
    public IReadOnlyList<MqttConnectionStatus> Clients
    {
        get
        {
            lock (_clients)
            {
                return [.. _clients];
            }
        }
    }

    /// <summary>Gets a value indicating whether some client is not connected to its broker now.</summary>
    public bool AnyDisconnected => Clients.Any(c => !c.Connected);

    internal MqttConnectionStatus Add(string name, string broker)
    {
        var status = new MqttConnectionStatus(name, broker);
        lock (_clients)
        {
            _clients.Add(status);
        }

        return status;
    }
}
