using System.Globalization;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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

    /// <summary>
    /// Gets or sets a PEM file of the certificate authorities a TLS broker's certificate must chain to, in
    /// place of the system's trusted roots (a plant's own CA); the broker's name must still match the
    /// certificate.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the system's trusted roots.</value>
    public string? CaFile { get; set; }

    /// <summary>
    /// Gets or sets the MQTT keep-alive: the client pings when it has sent nothing for this long, and the
    /// broker drops a client it has not heard from for one and a half times as long. A broker that allows
    /// less (its <c>max_keepalive</c>) needs a shorter one: MQTTnet pings at this period even when the broker
    /// names another in its CONNACK.
    /// </summary>
    /// <value>The default value is 15 seconds.</value>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(15);

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

        if (!string.IsNullOrEmpty(CaFile))
        {
            bool tls = Uri.TryCreate(Broker, UriKind.Absolute, out Uri? broker) && broker.Scheme == "mqtts";
            if (!tls)
            {
                yield return $"{key}:CaFile is set but {key}:Broker is not mqtts://: the CA is used only for TLS.";
            }
            else if (!File.Exists(CaFile))
            {
                yield return $"{key}:CaFile '{CaFile}' does not exist.";
            }
            else if (CaProblem(CaFile) is { } problem)
            {
                yield return $"{key}:CaFile '{CaFile}' {problem}";
            }
        }

        if (KeepAlive < TimeSpan.FromSeconds(1) || KeepAlive > TimeSpan.FromSeconds(ushort.MaxValue))
        {
            // 0 (none) is refused too: mosquitto answers it with its max_keepalive, and MQTTnet 5.2 then pings without pause and drops the connection.
            yield return string.Create(CultureInfo.InvariantCulture, $"{key}:KeepAlive must be between 1s and 65535s (got {KeepAlive}).");
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
    /// <param name="tlsRefusal">Where the reason is kept when the broker's certificate is refused, for the error the connection reports.</param>
    /// <returns>A builder to add the session's settings to.</returns>
    internal MqttClientOptionsBuilder Options(string clientId, StrongBox<string?>? tlsRefusal = null)
    {
        var uri = new Uri(Broker!, UriKind.Absolute);
        bool tls = uri.Scheme == "mqtts";
        MqttClientOptionsBuilder builder = new MqttClientOptionsBuilder()
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(Math.Round(KeepAlive.TotalSeconds)))
            .WithTcpServer(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? (tls ? 8883 : 1883) : uri.Port)
            .WithTlsOptions(o =>
            {
                o.UseTls(tls);
                if (!tls)
                {
                    return;
                }

                if (!string.IsNullOrEmpty(CaFile))
                {
                    o.WithTrustChain(LoadCa(CaFile));
                }

                bool allowUntrusted = AllowUntrustedCertificates;
                string? caFile = CaFile;
                o.WithCertificateValidationHandler(e =>
                {
                    if (allowUntrusted || e.SslPolicyErrors == SslPolicyErrors.None)
                    {
                        return true;
                    }

                    tlsRefusal?.Value = DescribeRefusal(e.SslPolicyErrors, e.Chain, caFile);
                    return false;
                });
            });
        if (!string.IsNullOrEmpty(UserName))
        {
            builder.WithCredentials(UserName, Password ?? string.Empty);
        }

        return builder;
    }

    /// <summary>Reads the certificates of a PEM file of certificate authorities.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The certificates.</returns>
    internal static X509Certificate2Collection LoadCa(string path)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(path);
        return certificates;
    }

    private static string? CaProblem(string path)
    {
        try
        {
            X509Certificate2Collection certificates = LoadCa(path);
            int count = certificates.Count;
            foreach (X509Certificate2 certificate in certificates)
            {
                certificate.Dispose();
            }

            return count == 0 ? "holds no PEM certificate (-----BEGIN CERTIFICATE-----)." : null;
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            return $"cannot be read as PEM certificates: {ex.Message}";
        }
    }

    private static string DescribeRefusal(SslPolicyErrors errors, X509Chain? chain, string? caFile)
    {
        var reasons = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            reasons.Add("the broker sent no certificate");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            reasons.Add("the certificate does not name the broker's host (Broker must use a name or address the certificate lists)");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            string status = chain is null ? string.Empty : string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
            reasons.Add(caFile is null
                ? $"the certificate does not chain to a trusted root ({status}): give its CA in CaFile, or set AllowUntrustedCertificates for a test broker"
                : $"the certificate does not chain to a CA of CaFile '{caFile}' ({status})");
        }

        return "TLS: the broker's certificate was refused: " + string.Join("; ", reasons);
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
