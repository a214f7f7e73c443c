using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamingClusters;
using System.Diagnostics.Metrics;
using StreamingClusters.Diagnostics;
using StreamingClusters.Hosting;
using StreamingClusters.Ingest;
using StreamingClusters.Models;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Sinks;

#pragma warning disable IDE0130 // Extension methods for IServiceCollection live in its namespace, as the framework's do.
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers StreamingClusters in a service collection.</summary>
public static class StreamingClustersServiceCollectionExtensions
{
    /// <summary>
    /// Adds the pipeline, bound to <paramref name="configuration"/> (the <c>StreamingClusters</c> section)
    /// and validated at start-up, and the hosted service that runs it. Inject <see cref="IPointWriter"/>
    /// to feed points, <see cref="IObservable{CentroidSnapshot}"/> to watch the model,
    /// <see cref="IObservable{AssignmentBlock}"/> for assignments, <see cref="IObservable{ClusterEvent}"/>
    /// for the clusters' births and ends (with their ids) and <see cref="IClusterScorer"/> to score.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration section to bind.</param>
    /// <param name="configure">Further settings in code, applied after the configuration.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddStreamingClusters(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<StreamingClustersOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        OptionsBuilder<StreamingClustersOptions> options = services.AddOptions<StreamingClustersOptions>()
            .Bind(DurationConfiguration.Normalise(configuration, DurationConfiguration.StreamingClustersKeys));
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return AddPipeline(services, options);
    }

    /// <summary>
    /// Adds the pipeline with its settings given in code, validated at start-up, and the hosted service
    /// that runs it; see <see cref="AddStreamingClusters(IServiceCollection, IConfiguration, Action{StreamingClustersOptions}?)"/>
    /// for what it registers.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">The settings.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddStreamingClusters(this IServiceCollection services, Action<StreamingClustersOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        return AddPipeline(services, services.AddOptions<StreamingClustersOptions>().Configure(configure));
    }

    /// <summary>
    /// Adds named models beside the model of the top-level settings: <see cref="IModelCatalog"/> lists,
    /// finds and creates them in this process (<see cref="LocalModelCatalog"/>), the models declared under
    /// <c>StreamingClusters:Models:{name}</c> are made at start, and every model is drained at stop. Call
    /// after <see cref="AddStreamingClusters(IServiceCollection, IConfiguration, Action{StreamingClustersOptions}?)"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The <c>StreamingClusters</c> section, which every model's settings are layered over.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddStreamingClustersModels(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(sp => new LocalModelCatalog(
            configuration,
            sp.GetRequiredService<ClusteringPipeline>(),
            sp.GetRequiredService<IOptions<StreamingClustersOptions>>(),
            sp.GetRequiredService<IDeadLetterSink>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<StreamingClustersMetrics>()));
        services.TryAddSingleton<IModelCatalog>(sp => sp.GetRequiredService<LocalModelCatalog>());
        services.AddHostedService(sp => sp.GetRequiredService<LocalModelCatalog>());
        return services;
    }

    private static IServiceCollection AddPipeline(IServiceCollection services, OptionsBuilder<StreamingClustersOptions> options)
    {
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StreamingClustersOptions>, StreamingClustersOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StreamingClustersOptions>, SourceProvidersValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDeadLetterSink>(sp =>
        {
            StreamingClustersOptions o = sp.GetRequiredService<IOptions<StreamingClustersOptions>>().Value;
            return string.IsNullOrWhiteSpace(o.DeadLetterPath)
                ? new LoggingDeadLetterSink(sp.GetRequiredService<ILogger<LoggingDeadLetterSink>>())
                : new JsonLinesDeadLetterSink(o.DeadLetterPath, sp.GetRequiredService<TimeProvider>());
        });
        services.AddMetrics();
        services.TryAddSingleton(sp => new StreamingClustersMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(sp => new ClusteringPipeline(
            sp.GetRequiredService<IOptions<StreamingClustersOptions>>().Value,
            sp.GetRequiredService<IDeadLetterSink>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            metrics: sp.GetRequiredService<StreamingClustersMetrics>()));
        services.TryAddSingleton(sp => sp.GetRequiredService<ClusteringPipeline>().Writer);
        services.TryAddSingleton(sp => sp.GetRequiredService<ClusteringPipeline>().Snapshots);
        services.TryAddSingleton(sp => sp.GetRequiredService<ClusteringPipeline>().Assignments);
        services.TryAddSingleton(sp => sp.GetRequiredService<ClusteringPipeline>().Events);
        services.TryAddSingleton<IClusterScorer>(sp => sp.GetRequiredService<ClusteringPipeline>());
        services.AddHostedService<StreamingClustersService>();
        return services;
    }
}
