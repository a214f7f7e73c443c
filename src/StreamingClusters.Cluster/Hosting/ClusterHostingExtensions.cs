using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using StreamingClusters.Cluster.Catalog;
using StreamingClusters.Models;

namespace StreamingClusters.Cluster.Hosting;

/// <summary>Switches a worker into cluster mode.</summary>
public static class ClusterHostingExtensions
{
    /// <summary>
    /// With <c>StreamingClusters:Cluster:Redis</c> set, makes the host an Orleans silo (membership and
    /// the models' state in that Redis, the ports of <see cref="ClusterSettings"/>, membership probes
    /// tuned for a quick failover) whose <see cref="IModelCatalog"/> reaches every named model's grain.
    /// Without it nothing is added, and no Orleans assembly is loaded.
    /// </summary>
    /// <param name="builder">The host's builder, after the library's services are added.</param>
    /// <returns>What is wrong with the cluster settings, each naming its setting; empty when none is.</returns>
    public static IReadOnlyList<string> AddStreamingClustersCluster(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var problems = new List<string>();
        ClusterSettings settings = ClusterSettingsReader.Read(builder.Configuration, problems);
        problems.AddRange(settings.Problems());
        if (problems.Count == 0 && settings.Enabled)
        {
            AddSilo(builder, settings);
        }

        return problems;
    }

    // Kept out of the method above so that Orleans' types are only loaded once cluster mode is on.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void AddSilo(IHostApplicationBuilder builder, ClusterSettings settings)
    {
        string redis = settings.Redis!;
        builder.UseOrleans(silo =>
        {
            silo.UseRedisClustering(redis);
            silo.Configure<ClusterOptions>(o =>
            {
                // Orleans keys the models' state in Redis by ServiceId ({ServiceId}/state/{grainId}):
                // clusters with different ids on one Redis must not share it.
                o.ClusterId = settings.ClusterId;
                o.ServiceId = settings.ClusterId;
            });
            silo.ConfigureEndpoints(IPAddress.Parse(settings.AdvertisedAddress), settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: false);
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = settings.ProbeTimeout;
                o.NumMissedProbesLimit = settings.MissedProbesLimit;
            });
            silo.AddStreamingClustersModels(redis, o =>
            {
                o.CentroidRefreshInterval = settings.CentroidRefreshInterval;
                o.SendDeadline = settings.SendDeadline;
            });
        });
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ClusterModelCatalog>();
        builder.Services.Replace(ServiceDescriptor.Singleton<IModelCatalog>(sp => sp.GetRequiredService<ClusterModelCatalog>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterModelCatalog>());
    }
}
