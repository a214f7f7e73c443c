using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamingClusters.Mqtt;
using StreamingClusters.Options;
using StreamingClusters.Sources;

#pragma warning disable IDE0130 // Extension methods for IServiceCollection live in its namespace, as the framework's do.
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers MQTT in and out for StreamingClusters.</summary>
public static class MqttServiceCollectionExtensions
{
    /// <summary>
    /// Adds the MQTT sources (<c>Sources:N:Kind = Mqtt</c>) and, when <c>MqttPublish:Broker</c> is set, the
    /// publisher of snapshots and events; their settings are read from <paramref name="configuration"/>
    /// (the <c>StreamingClusters</c> section) and checked at start-up. Call after <c>AddStreamingClusters</c>.
    /// Inject <see cref="MqttStatus"/> to see the connections.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The <c>StreamingClusters</c> section.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddStreamingClustersMqtt(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton<MqttStatus>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IValidateOptions<StreamingClustersOptions>>(new MqttOptionsValidator(configuration));
        services.AddSingleton<MqttSourceProvider>(sp => new(configuration, sp.GetRequiredService<MqttStatus>(), sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IPointSourceProvider>(sp => sp.GetRequiredService<MqttSourceProvider>());
        if (MqttPublisher.Settings(configuration).Enabled)
        {
            services.AddHostedService(sp => new MqttPublisher(
                MqttPublisher.Settings(configuration),
                sp.GetRequiredService<StreamingClusters.ClusteringPipeline>(),
                sp.GetRequiredService<MqttStatus>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<MqttPublisher>(),
                sp.GetRequiredService<TimeProvider>()));
        }

        return services;
    }
}
