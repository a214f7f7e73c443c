using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace StreamingClusters.Worker.Tests.Mqtt;

/// <summary>
/// The MQTT source over TLS (<c>mqtts://</c>) to a real mosquitto with a TLS listener, whose certificate
/// the test makes (a CA of its own and a server certificate for 127.0.0.1 and localhost): read from when
/// the CA is given in <c>CaFile</c>; refused, with the reason in the log and in <c>/healthz</c>, when the
/// certificate is not trusted; a <c>CaFile</c> that does not exist is refused at start-up.
/// </summary>
public sealed class MqttTlsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-mqtt-tls-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Tls_TheBrokersCaInCaFile_ReadsFromMqttsAndAppliesEveryReading()
    {
        (string ca, string cert, string key) = MakeCertificates(_dir.FullName);
        await using Mosquitto broker = await Mosquitto.StartAsync((ca, cert, key));
        string final = Path.Combine(_dir.FullName, "final.json");
        await using MqttWorker worker = await MqttWorker.StartAsync(
            _dir.FullName,
            "--mqtt-broker", broker.TlsUrl, "--mqtt-topic", "sensors/#", "--clusters", "2", "--seed", "7",
            $"--StreamingClusters:Sources:0:CaFile={ca}", "--StreamingClusters:Seeding:BufferSize=16", "--snapshot-out", final);
        await worker.LineAsync($"MQTT mqtt-0: connected to {broker.TlsUrl}");

        // The sensors publish on the plain listener; the worker reads over TLS.
        await using (TestClient sensors = await TestClient.ConnectAsync(broker, "test-tls-sensors"))
        {
            for (int i = 0; i < 50; i++)
            {
                await sensors.PublishAsync("sensors/m1", string.Create(CultureInfo.InvariantCulture, $"[{i % 2 * 10}, {i % 5}]"));
            }
        }

        JsonElement done = await worker.HealthUntilAsync(h => MqttWorker.Source(h).GetProperty("acknowledged").GetInt64() == 50);
        Assert.True(MqttWorker.Source(done).GetProperty("connected").GetBoolean());

        Assert.Equal(0, await worker.StopAsync());
        using JsonDocument snapshot = JsonDocument.Parse(await File.ReadAllBytesAsync(final));
        Assert.Equal(50, snapshot.RootElement.GetProperty("sources")[0].GetProperty("applied").GetInt64());
    }

    [Fact]
    public async Task Tls_CertificateNotTrusted_RefusedWithTheReasonInTheLogAndInHealth()
    {
        (string ca, string cert, string key) = MakeCertificates(_dir.FullName);
        await using Mosquitto broker = await Mosquitto.StartAsync((ca, cert, key));
        await using MqttWorker worker = await MqttWorker.StartAsync(
            _dir.FullName,
            "--mqtt-broker", broker.TlsUrl, "--mqtt-topic", "sensors/#", "--clusters", "2",
            "--StreamingClusters:Sources:0:ReconnectDelay=200ms", "--StreamingClusters:Sources:0:MaxReconnectDelay=500ms");

        string line = await worker.LineAsync($"MQTT mqtt-0: disconnected from {broker.TlsUrl}");
        Assert.Contains("TLS: the broker's certificate was refused: the certificate does not chain to a trusted root", line, StringComparison.Ordinal);
        Assert.Contains("give its CA in CaFile", line, StringComparison.Ordinal);

        // It goes on trying (the broker's certificate may be fixed), and says why it is not connected.
        await worker.LineAsync($"MQTT mqtt-0: disconnected from {broker.TlsUrl}", occurrence: 2);
        JsonElement health = await worker.HealthUntilAsync(h => MqttWorker.Source(h).TryGetProperty("lastError", out JsonElement e) && e.ValueKind == JsonValueKind.String);
        JsonElement source = MqttWorker.Source(health);
        Assert.False(source.GetProperty("connected").GetBoolean());
        Assert.StartsWith("TLS: the broker's certificate was refused", source.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, source.GetProperty("messages").GetInt64());
    }

    [Fact]
    public async Task Start_CaFileMissing_RefusedNamingTheSetting()
    {
        string missing = Path.Combine(_dir.FullName, "no-such-ca.pem");
        WorkerProcess.Result run = await WorkerProcess.RunAsync(
            _dir.FullName, null, "--mqtt-broker", "mqtts://127.0.0.1:8883", "--mqtt-topic", "a/#", $"--StreamingClusters:Sources:0:CaFile={missing}");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"StreamingClusters:Sources:0:CaFile '{missing}' does not exist.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_CaFileNotPem_RefusedNamingTheSetting()
    {
        string garbage = Path.Combine(_dir.FullName, "ca.pem");
        await File.WriteAllTextAsync(garbage, "not a certificate\n");
        WorkerProcess.Result run = await WorkerProcess.RunAsync(
            _dir.FullName, null, "--mqtt-broker", "mqtts://127.0.0.1:8883", "--mqtt-topic", "a/#", $"--StreamingClusters:Sources:0:CaFile={garbage}");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"StreamingClusters:Sources:0:CaFile '{garbage}' holds no PEM certificate", run.Error, StringComparison.Ordinal);
    }

    /// <summary>Writes a CA of the test's own (ca.pem) and a server certificate it signed for 127.0.0.1 and localhost (server.pem, server.key), as PEM.</summary>
    private static (string Ca, string Cert, string Key) MakeCertificates(string directory)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=StreamingClusters test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, critical: false));
        using X509Certificate2 ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: false));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using X509Certificate2 server = serverRequest.Create(ca, now.AddHours(-1), now.AddHours(12), RandomNumberGenerator.GetBytes(8));

        (string Ca, string Cert, string Key) files = (Path.Combine(directory, "ca.pem"), Path.Combine(directory, "server.pem"), Path.Combine(directory, "server.key"));
        File.WriteAllText(files.Ca, ca.ExportCertificatePem() + "\n");
        File.WriteAllText(files.Cert, server.ExportCertificatePem() + "\n");
        File.WriteAllText(files.Key, serverKey.ExportPkcs8PrivateKeyPem() + "\n");
        return files;
    }
}
