using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace StreamingClusters.Cluster.Tests.RealProcesses;

/// <summary>
/// A redis-server and three workers in cluster mode on it, each a real process on free loopback ports;
/// every process is stopped by its id on dispose, whatever happened before.
/// </summary>
public sealed partial class WorkerCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private readonly List<Worker> _workers = [];
    private RedisServer? _redis;

    private WorkerCluster()
    {
    }

    /// <summary>Gets the Redis the workers share, HOST:PORT.</summary>
    public string RedisEndpoint => _redis!.Endpoint;

    /// <summary>Gets the workers, in the order they were started.</summary>
    public IReadOnlyList<Worker> Workers => _workers;

    /// <summary>Starts Redis and <paramref name="count"/> workers, and returns once each answers HTTP and reaches the cluster.</summary>
    /// <param name="count">The workers.</param>
    /// <param name="client">The client the readiness checks go through.</param>
    /// <param name="extra">Further switches of every worker.</param>
    public static async Task<WorkerCluster> StartAsync(int count, HttpClient client, params string[] extra)
    {
        var cluster = new WorkerCluster();
        try
        {
            cluster._redis = await RedisServer.StartAsync();
            for (int i = 0; i < count; i++)
            {
                cluster._workers.Add(Worker.Start(i, cluster._redis.Endpoint, extra));
            }

            using var deadline = new CancellationTokenSource(StartTimeout);
            foreach (Worker worker in cluster._workers)
            {
                await worker.WaitUntilReadyAsync(client, deadline.Token);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (Worker worker in _workers)
        {
            await worker.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    /// <summary>Stops the Redis the workers share, as an outage would.</summary>
    public async Task StopRedisAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
            _redis = null;
        }
    }

    /// <summary>Gets a loopback port free now.</summary>
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"HTTP listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    /// <summary>One worker process in cluster mode.</summary>
    public sealed class Worker : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly TaskCompletionSource<Uri> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Per model name, completed when the worker logs that model's grain activating on its silo.</summary>
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> _activations = new(StringComparer.Ordinal);

        private Worker(int index, int siloPort, Process process)
        {
            Index = index;
            SiloPort = siloPort;
            _process = process;
        }

        /// <summary>Gets the worker's number (0-based).</summary>
        public int Index { get; }

        /// <summary>Gets the port its silo talks to the others on.</summary>
        public int SiloPort { get; }

        /// <summary>Gets the worker's HTTP address, once it listens.</summary>
        public Uri Address => _address.Task.Result;

        /// <summary>Gets a value indicating whether the process has ended.</summary>
        public bool HasExited => _process.HasExited;

        /// <summary>Gets everything the worker wrote so far (standard output and error).</summary>
        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        /// <summary>
        /// Completes once the worker has logged that the model's grain activated on its silo (the grain names its
        /// silo's address); the line may come after the first answers, since the output is read asynchronously.
        /// </summary>
        /// <param name="model">The model's name.</param>
        /// <returns>A task that completes with this worker.</returns>
        public async Task<Worker> ActivationAsync(string model)
        {
            await _activations.GetOrAdd(model, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task.ConfigureAwait(false);
            return this;
        }

        /// <summary>Kills the process with SIGKILL and waits until it is gone.</summary>
        /// <summary>Stops the worker as a service manager does (SIGTERM) and waits for it to exit.</summary>
        /// <param name="hang">How long to wait before the test fails.</param>
        /// <returns>The exit code.</returns>
        public async Task<int> TerminateAsync(TimeSpan hang)
        {
            using (Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync();
            }

            await _process.WaitForExitAsync().WaitAsync(hang);
            return _process.ExitCode;
        }

        public async Task KillAsync()
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        /// <inheritdoc/>
        public async ValueTask DisposeAsync()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill();
                    await _process.WaitForExitAsync();
                }
            }
            finally
            {
                _process.Dispose();
            }
        }

        internal static Worker Start(int index, string redis, IEnumerable<string> extra)
        {
            int siloPort = FreePort();
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = Path.GetTempPath(),
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "StreamingClusters.Worker.dll"));
            foreach (string argument in new[]
            {
                "--urls", "http://127.0.0.1:0", "--dimensions", "2", "--clusters", "3", "--cluster-redis", redis,
                "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture), "--gateway-port", FreePort().ToString(CultureInfo.InvariantCulture),
            }.Concat(extra))
            {
                start.ArgumentList.Add(argument);
            }

            var process = new Process { StartInfo = start, EnableRaisingEvents = true };
            var worker = new Worker(index, siloPort, process);
            process.OutputDataReceived += (_, e) => worker.Collect(e.Data);
            process.ErrorDataReceived += (_, e) => worker.Collect(e.Data);
            process.Exited += (_, _) => worker._address.TrySetException(new InvalidOperationException($"worker {index} exited before it listened:\n{worker.Output}"));
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return worker;
        }

        internal async Task WaitUntilReadyAsync(HttpClient client, CancellationToken cancellationToken)
        {
            Uri address = await _address.Task.WaitAsync(cancellationToken);

            // /healthz answers (503 "starting": the model default is not seeded) once HTTP
            // serves; the cluster's list answers 200 once the silo has joined. Each check waits for its
            // answer; a refusal is asked again, until the start's deadline.
            using HttpResponseMessage health = await client.GetAsync(new Uri(address, "/healthz"), cancellationToken);
            Assert.Contains(health.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
            while (true)
            {
                using HttpResponseMessage models = await client.GetAsync(new Uri(address, "/models"), cancellationToken);
                if (models.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                Assert.False(_process.HasExited, $"worker {Index} exited:\n{Output}");
            }
        }

        private void Collect(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(line);
            }

            string activated = FormattableString.Invariant($"' activated on silo S127.0.0.1:{SiloPort}:");
            int at = line.IndexOf(activated, StringComparison.Ordinal);
            int start = line.LastIndexOf("Model '", at < 0 ? 0 : at, StringComparison.Ordinal);
            if (at > 0 && start >= 0)
            {
                string model = line[(start + "Model '".Length)..at];
                _activations.GetOrAdd(model, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }

            Match listening = Listening().Match(line);
            if (listening.Success)
            {
                _address.TrySetResult(new Uri(listening.Groups[1].Value));
            }
        }
    }
}
