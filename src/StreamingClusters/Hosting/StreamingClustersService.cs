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
public sealed class StreamingClustersService : BackgroundService
{
    private readonly ClusteringPipeline _pipeline;
    private readonly StreamingClustersOptions _options;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<StreamingClustersService> _logger;
    private readonly TimeProvider _time;

    /// <summary>Creates the service.</summary>
    /// <param name="pipeline">The pipeline to run.</param>
    /// <param name="options">The validated settings.</param>
    /// <param name="lifetime">Stops the host when a finite run is done.</param>
    /// <param name="logger">Logging.</param>
    /// <param name="time">The clock followed files are polled on.</param>
    public StreamingClustersService(
        ClusteringPipeline pipeline,
        IOptions<StreamingClustersOptions> options,
        IHostApplicationLifetime lifetime,
        ILogger<StreamingClustersService> logger,
        TimeProvider time)
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
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Run off the host's start-up path: since .NET 10 StartAsync does not wait for this method.
        await Task.Yield();
        try
        {
            IReadOnlyList<IPointSource> sources = [.. _options.Sources.Select((s, i) => PointSourceFactory.Create(s, i, _options, _time))];
            await _pipeline.RunAsync(sources, _options.StopWhenSourcesEnd, stoppingToken).ConfigureAwait(false);
            if (_pipeline.Latest is { } final && !string.IsNullOrWhiteSpace(_options.SnapshotPath))
            {
                await SnapshotJson.WriteFileAsync(final, _options.SnapshotPath, CancellationToken.None).ConfigureAwait(false);
                HostingLog.SnapshotWritten(_logger, final.Version, _options.SnapshotPath);
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
