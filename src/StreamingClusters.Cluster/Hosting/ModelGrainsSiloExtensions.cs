using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Serialization;
using Orleans.Storage;
using StackExchange.Redis;
using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Ingest;

namespace StreamingClusters.Cluster.Hosting;

/// <summary>Adds the model grains and the silo's ingest to a silo.</summary>
public static class ModelGrainsSiloExtensions
{
    /// <summary>
    /// Adds what a silo of the service needs beyond its membership: the models' grain storage in Redis
    /// (Orleans' binary form, see <see cref="ModelStorageSerializer"/>) and this silo's <see cref="SiloIngest"/>.
    /// </summary>
    /// <param name="silo">The silo.</param>
    /// <param name="redis">The Redis server that holds the models' state, HOST:PORT.</param>
    /// <param name="configureIngest">Changes the ingest's options, or null.</param>
    /// <returns>The silo.</returns>
    public static ISiloBuilder AddStreamingClustersModels(this ISiloBuilder silo, string redis, Action<ClusterIngestOptions>? configureIngest = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(redis);
        silo.AddRedisGrainStorage(ModelGrain.StorageName, options => options.Configure<Serializer, IGrainStorageSerializer>((o, serializer, json) =>
        {
            o.ConfigurationOptions = ConfigurationOptions.Parse(redis);
            o.GrainStorageSerializer = new ModelStorageSerializer(serializer, json);
        }));
        silo.Services.TryAddSingleton(TimeProvider.System);
        OptionsBuilder<ClusterIngestOptions> ingest = silo.Services.AddOptions<ClusterIngestOptions>();
        if (configureIngest is not null)
        {
            ingest.Configure(configureIngest);
        }

        silo.Services.TryAddSingleton<SiloIngest>();
        return silo;
    }
}
