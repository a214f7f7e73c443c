using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace StreamingClusters.Worker;

/// <summary>
/// Ends a cluster-mode worker whose stop outlasts <c>HostOptions:ShutdownTimeout</c> by <see cref="Grace"/>.
/// Orleans' silo leaves the cluster by writing its status to the membership table and goes on retrying
/// that write, without end, when Redis is unreachable; a worker that outlives SIGTERM is one its
/// supervisor has to kill, so it exits by itself (exit code 1) and says why.
/// </summary>
internal sealed partial class StopWatchdog : IHostedService, IDisposable
{
    /// <summary>How long past the shutdown time-out a stop may go on.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _time;
    private readonly TimeSpan _limit;
    private readonly ILogger _logger;
    private readonly Action<int> _exit;
    private readonly Lock _gate = new();
    private CancellationTokenRegistration _stopping;

    /// <summary>Armed once the stop begins; null before, and after the host is disposed.</summary>
    private ITimer? _timer;
    private bool _disposed;

    public StopWatchdog(IHostApplicationLifetime lifetime, IOptions<HostOptions> host, TimeProvider time, ILogger<StopWatchdog> logger)
        : this(lifetime, host.Value.ShutdownTimeout + Grace, time, logger, Environment.Exit)
    {
    }

    /// <summary>Creates the watchdog with the process's exit replaced (tests).</summary>
    internal StopWatchdog(IHostApplicationLifetime lifetime, TimeSpan limit, TimeProvider time, ILogger logger, Action<int> exit)
    {
        _lifetime = lifetime;
        _limit = limit;
        _time = time;
        _logger = logger;
        _exit = exit;
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = _lifetime.ApplicationStopping.Register(Arm);
        return Task.CompletedTask;
    }

    // The hosted services stop one after another; the watchdog must outlive its own StopAsync, so it is
    // disarmed only when the host is disposed, once every service has stopped.
    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public void Dispose()
    {
        _stopping.Dispose();
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void Arm()
    {
        lock (_gate)
        {
            if (!_disposed && _timer is null)
            {
                _timer = _time.CreateTimer(_ => Expire(), null, _limit, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void Expire()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
        }

        LogOverdue(_limit);
        _exit(ExitCodes.Failed);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The stop did not finish within {Limit} (HostOptions:ShutdownTimeout plus the grace): the silo is most likely still trying to leave a cluster whose Redis it cannot reach. Exiting without it.")]
    private partial void LogOverdue(TimeSpan limit);
}
