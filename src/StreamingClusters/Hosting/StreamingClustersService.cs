using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Sources;

namespace StreamingClusters.Hosting;

/// <summary>
/// Runs the <see cref="ClusteringPipeline"/> inside a Generic Host: reads the configured sources,
/// drains on stop, writes the final snapshot, and — when the sources are finite and
/// <see cref="StreamingClustersOptions.StopWhenSourcesEnd"/> is set — stops the host when done.
/// </summary>
/// <remarks>
/// The run starts on its own task in <see cref="StartAsync"/> and always runs, even when the host stops
/// at once: a <see cref="BackgroundService"/> whose stop comes before its <c>ExecuteAsync</c> has
/// begun never runs it, and points already written would then never be drained.
/// </remarks>
public sealed class StreamingClustersService : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abandon = new();
    private Task? _running;

    private readonly ClusteringPipeline _pipeline;
    private readonly StreamingClustersOptions _options;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<StreamingClustersService> _logger;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<IPointSourceProvider> _providers;

    /// <summary>Creates the service.</summary>
    /// <param name="pipeline">The pipeline to run.</param>
    /// <param name="options">The validated settings.</param>
    /// <param name="lifetime">Stops the host when a finite run is done.</param>
    /// <param name="logger">Logging.</param>
    /// <param name="time">The clock followed files are polled on.</param>
    /// <param name="providers">The providers of sources other than files (MQTT, say).</param>
    public StreamingClustersService(
        ClusteringPipeline pipeline,
        IOptions<StreamingClustersOptions> options,
        IHostApplicationLifetime lifetime,
        ILogger<StreamingClustersService> logger,
        TimeProvider time,
        IEnumerable<IPointSourceProvider>? providers = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(lifetime);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(time);
        _pipeline = pipeline;
        _options = options.Value;
        _lifetime = lifetime;
        _logger = logger;
        _time = time;
        _providers = [.. providers ?? []];
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Loaded before the host serves anything, so that a model restored from its checkpoint
            // answers from the first request on, not only once its run has started.
            _pipeline.LoadCheckpoint(StreamingClustersOptions.SectionName);
        }
        catch (Checkpoints.CheckpointException)
        {
            // Left to the run, which loads it again and fails with it, as before the host served.
        }

        _running = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops the sources and waits until the pipeline has drained and published its final snapshot.</summary>
    /// <param name="cancellationToken">The host's shutdown time-out (<c>HostOptions:ShutdownTimeout</c>).</param>
    /// <returns>A task that completes when the run has ended.</returns>
    /// <remarks>
    /// When the time-out passes first, the drain is abandoned on purpose rather than left running under a
    /// host that disposes its services: the model stops at the next batch boundary (one batch's work at
    /// most), the points still queued are counted and not applied, the final snapshot of what was applied
    /// is written, and the exit code becomes 1.
    /// </remarks>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_running is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _running.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await _abandon.CancelAsync().ConfigureAwait(false);
            await _running.ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _stopping.Dispose();
        _abandon.Dispose();
    }

    private IPointSource CreateSource(SourceOptions source, int index)
    {
        if (source.Kind == SourceKind.File)
        {
            return PointSourceFactory.Create(source, index, _options, _time);
        }

        IPointSourceProvider provider = _providers.FirstOrDefault(p => p.Kind == source.Kind)
            ?? throw new InvalidOperationException(
                $"StreamingClusters:Sources:{index}:Kind is {source.Kind}, but no provider of {source.Kind} sources is registered (for MQTT: services.AddStreamingClustersMqtt(configuration), from StreamingClusters.Mqtt).");
        return provider.Create(source, index, _options);
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            IReadOnlyList<IPointSource> sources = [.. _options.Sources.Select(CreateSource)];
            await _pipeline.RunAsync(sources, _options.StopWhenSourcesEnd, stoppingToken, _abandon.Token).ConfigureAwait(false);
            if (_pipeline.Latest is { } final && !string.IsNullOrWhiteSpace(_options.SnapshotPath))
            {
                await SnapshotJson.WriteFileAsync(final, _options.SnapshotPath, CancellationToken.None).ConfigureAwait(false);
                HostingLog.SnapshotWritten(_logger, final.Version, _options.SnapshotPath);
            }

            if (_pipeline.DrainAbandoned)
            {
                Environment.ExitCode = 1;
            }

            // The final checkpoint failed like the ones before it: the run is done, but a restart goes
            // back to an older state, so the exit code says so.
            if (_pipeline.CheckpointStatus is { IsFailing: true } checkpoint)
            {
                HostingLog.FinalCheckpointMissing(_logger, checkpoint.Path, checkpoint.LastError, checkpoint.LastWritten);
                Environment.ExitCode = 1;
            }
        }
#pragma warning disable CA1031 // The failure is logged with its cause and turned into the process's exit code.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            HostingLog.PipelineFailed(_logger, ex, ex.Message);
            Environment.ExitCode = 1;
        }
        finally
        {
            if (_options.StopWhenSourcesEnd || Environment.ExitCode != 0)
            {
                _lifetime.StopApplication();
            }
        }
    }
}
