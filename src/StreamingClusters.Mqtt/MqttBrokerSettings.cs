using System.Globalization;
using MQTTnet;
using MQTTnet.Formatter;

namespace StreamingClusters.Mqtt;

/// <summary>How to reach a broker: the settings a source and the publisher share.</summary>
public class MqttBrokerSettings
{
    /// <summary>The socket buffer of the client. MQTTnet's default (8 KiB) let a connected QoS 1 subscriber fall to ~200 messages/s in 4 of 23 runs of 100,000 messages; 1 MiB was fine in 10 of 10.</summary>
    internal const int SocketBufferSize = 1 << 20;

    /// <summary>Gets or sets the broker: <c>mqtt://HOST:PORT</c>, or <c>mqtts://HOST:PORT</c> for TLS (port 1883 and 8883 by default).</summary>
    /// <value>The default value is <see langword="null"/> (required).</value>
    public string? Broker { get; set; }

    /// <summary>Gets or sets the client id; a persistent session belongs to it, so it must be fixed and used by one client only.</summary>
    /// <value>The default value is <see langword="null"/>: <c>streamingclusters-</c> and the source's name (or <c>-publisher</c>).</value>
    public string? ClientId { get; set; }

    /// <summary>Gets or sets the user name, if the broker asks for one.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? UserName { get; set; }

    /// <summary>Gets or sets the password; give it through the environment (<c>StreamingClusters__Sources__0__Password</c>) rather than a file.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Password { get; set; }

    /// <summary>Gets or sets whether a TLS broker's certificate is accepted even if it does not chain to a trusted root (a test broker's self-signed one).</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AllowUntrustedCertificates { get; set; }

    /// <summary>Gets or sets the wait before the first attempt to reconnect; each failed attempt doubles it, up to <see cref="MaxReconnectDelay"/>.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the longest wait between two attempts to reconnect.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Lists what is wrong with these settings, each message naming the setting.</summary>
    /// <param name="key">The settings' configuration key (<c>StreamingClusters:Sources:0</c>).</param>
    /// <returns>The problems; none when the settings are usable.</returns>
    public IEnumerable<string> BrokerProblems(string key)
    {
        if (string.IsNullOrWhiteSpace(Broker))
        {
            yield return $"{key}:Broker is required (mqtt://HOST:PORT, or mqtts://HOST:PORT for TLS).";
        }
        else if (!Uri.TryCreate(Broker, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("mqtt" or "mqtts") || string.IsNullOrEmpty(uri.Host) || uri.AbsolutePath is not ("" or "/"))
        {
            yield return $"{key}:Broker '{Broker}' is not a broker address: give mqtt://HOST:PORT, or mqtts://HOST:PORT for TLS.";
        }

        if (ClientId is { } id && (id.Length is 0 or > 128 || id.Any(char.IsWhiteSpace)))
        {
            yield return $"{key}:ClientId must be 1 to 128 characters without spaces.";
        }

        if (Password is not null && string.IsNullOrEmpty(UserName))
        {
            yield return $"{key}:Password is set without {key}:UserName.";
        }

        if (ReconnectDelay <= TimeSpan.Zero)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{key}:ReconnectDelay must be positive (got {ReconnectDelay}).");
        }

        if (MaxReconnectDelay < ReconnectDelay)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{key}:MaxReconnectDelay ({MaxReconnectDelay}) must be at least {key}:ReconnectDelay ({ReconnectDelay}).");
        }
    }

    /// <summary>Gets the broker's address without user information, for logs.</summary>
    internal string DisplayBroker => Uri.TryCreate(Broker, UriKind.Absolute, out Uri? uri) ? $"{uri.Scheme}://{uri.Host}:{uri.Port}" : Broker ?? string.Empty;

    /// <summary>Builds the client's options: MQTT 5, the broker, credentials, TLS, a 1 MiB socket buffer.</summary>
    /// <param name="clientId">The client id.</param>
    /// <returns>A builder to add the session's settings to.</returns>
    internal MqttClientOptionsBuilder Options(string clientId)
    {
        var uri = new Uri(Broker!, UriKind.Absolute);
        MqttClientOptionsBuilder builder = new MqttClientOptionsBuilder()
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(15))
            .WithTcpServer(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? (uri.Scheme == "mqtts" ? 8883 : 1883) : uri.Port)
            .WithTlsOptions(o =>
            {
                o.UseTls(uri.Scheme == "mqtts");
                if (AllowUntrustedCertificates)
                {
                    o.WithCertificateValidationHandler(_ => true);
                }
            });
        if (!string.IsNullOrEmpty(UserName))
        {
            builder.WithCredentials(UserName, Password ?? string.Empty);
        }

        return builder;
    }

    /// <summary>Sets the socket buffer of built options (see <see cref="SocketBufferSize"/>).</summary>
    /// <param name="options">The built options.</param>
    /// <returns>The options.</returns>
    internal static MqttClientOptions WithLargeBuffer(MqttClientOptions options)
    {
        if (options.ChannelOptions is MqttClientTcpOptions tcp)
        {
            tcp.BufferSize = SocketBufferSize;
        }

        return options;
    }
}
