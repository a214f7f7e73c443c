using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace StreamingClusters.Worker.Tests.Mqtt;

/// <summary>
/// A real mosquitto (Debian's package) on a free loopback port, with a generated configuration and a
/// persistence directory in a temporary directory; started by the tests, stopped by its process id
/// (SIGTERM, so that it saves its persistence), and restartable on the same port and directory. With TLS
/// files it listens for TLS too, on a second free port.
/// </summary>
internal sealed class Mosquitto : IAsyncDisposable
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(1);
    private readonly DirectoryInfo _dir;
    private Process? _process;

    private Mosquitto(DirectoryInfo dir, int port, int tlsPort)
    {
        _dir = dir;
        Port = port;
        TlsPort = tlsPort;
    }

    public int Port { get; }

    /// <summary>Gets the port of the TLS listener; 0 without one.</summary>
    public int TlsPort { get; }

    /// <summary>Gets the broker's address for the worker.</summary>
    public string Url => string.Create(CultureInfo.InvariantCulture, $"mqtt://127.0.0.1:{Port}");

    /// <summary>Gets the broker's TLS address for the worker.</summary>
    public string TlsUrl => string.Create(CultureInfo.InvariantCulture, $"mqtts://127.0.0.1:{TlsPort}");

    /// <summary>Gets the mosquitto executable: on the path, else where Debian puts it.</summary>
    public static string Executable => Which("mosquitto") ?? "/usr/sbin/mosquitto";

    /// <summary>Starts a broker; with <paramref name="tls"/> (PEM files: the CA, the server's certificate and its key) it listens for TLS too.</summary>
    public static async Task<Mosquitto> StartAsync((string CaFile, string CertFile, string KeyFile)? tls = null)
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("sc-mosquitto-");
        Directory.CreateDirectory(Path.Combine(dir.FullName, "data"));
        var broker = new Mosquitto(dir, FreePort(), tls is null ? 0 : FreePort());
        string tlsListener = tls is { } files ? $"""
            listener {broker.TlsPort} 127.0.0.1
            cafile {files.CaFile}
            certfile {files.CertFile}
            keyfile {files.KeyFile}
            """ : string.Empty;
        // The sample's settings: no limit on what is queued for a client that is away, persistence on.
        // Run as root (CI), mosquitto would drop to the mosquitto user, which cannot write this directory.
        await File.WriteAllTextAsync(Path.Combine(dir.FullName, "mosquitto.conf"), $"""
            listener {broker.Port} 127.0.0.1
            allow_anonymous true
            max_queued_messages 0
            max_queued_bytes 0
            persistence true
            persistence_location {Path.Combine(dir.FullName, "data")}/
            user root
            log_dest stderr
            log_type error
            log_type warning
            log_type notice
            log_type information
            {tlsListener}

            """);
        await broker.RestartAsync();
        return broker;
    }

    /// <summary>Starts the broker (again), and returns once it listens.</summary>
    public async Task RestartAsync()
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Path.Combine(_dir.FullName, "mosquitto.conf"));
        _process = Process.Start(start)!;
        _ = _process.StandardOutput.ReadToEndAsync();
        using var hang = new CancellationTokenSource(Hang);
        string? line;
        while ((line = await _process.StandardError.ReadLineAsync(hang.Token)) is not null)
        {
            if (line.Contains(" running", StringComparison.Ordinal))
            {
                _ = _process.StandardError.ReadToEndAsync();
                return;
            }
        }

        throw new InvalidOperationException($"mosquitto exited ({_process.ExitCode}) without running.");
    }

    /// <summary>Stops the broker by its process id (SIGTERM: it saves its persistence) and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var hang = new CancellationTokenSource(Hang);
        await _process.WaitForExitAsync(hang.Token);
        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _dir.Delete(recursive: true);
    }

    /// <summary>Runs <c>mosquitto_sub -C 1</c> on <paramref name="topic"/> and returns the one message it prints.</summary>
    public async Task<string> SubscribeOneAsync(string topic)
    {
        var start = new ProcessStartInfo(Which("mosquitto_sub") ?? "/usr/bin/mosquitto_sub")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-t", topic, "-C", "1", "-W", "60" })
        {
            start.ArgumentList.Add(arg);
        }

        using Process sub = Process.Start(start)!;
        Task<string> output = sub.StandardOutput.ReadToEndAsync();
        Task<string> error = sub.StandardError.ReadToEndAsync();
        using var hang = new CancellationTokenSource(Hang);
        await sub.WaitForExitAsync(hang.Token);
        return sub.ExitCode == 0 ? await output : throw new InvalidOperationException($"mosquitto_sub exited {sub.ExitCode}: {await error}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/usr/bin")
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);
}
