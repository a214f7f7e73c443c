using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using StreamingClusters.Cluster.Catalog;
using StreamingClusters.Hosting;
using StreamingClusters.Models;
using StreamingClusters.Options;

namespace StreamingClusters.Cluster.Hosting;

/// <summary>Switches a worker into cluster mode.</summary>
public static class ClusterHostingExtensions
{
    /// <summary>
    /// With <c>StreamingClusters:Cluster:Redis</c> set, makes the host an Orleans silo (membership and
    /// the models' state in that Redis, the ports of <see cref="ClusterSettings"/>, membership probes
    /// tuned for a quick failover) whose <see cref="IModelCatalog"/> reaches every model's grain, the
    /// model <c>default</c> of the top-level settings among them; the host's own pipeline does not run.
    /// The top-level settings cluster mode cannot honour are refused, each named. Without it nothing is
    /// added, and no Orleans assembly is loaded.
    /// </summary>
    /// <param name="builder">The host's builder, after the library's services are added.</param>
    /// <returns>What is wrong with the cluster settings, each naming its setting; empty when none is.</returns>
    public static IReadOnlyList<string> AddStreamingClustersCluster(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var problems = new List<string>();
        ClusterSettings settings = ClusterSettingsReader.Read(builder.Configuration, problems);
        problems.AddRange(settings.Problems());
        if (settings.Enabled)
        {
            IConfigurationSection top = builder.Configuration.GetSection(StreamingClustersOptions.SectionName);
            _ = ClusterModelDefinitions.ForDefault(top, out IReadOnlyList<string> model);
            problems.AddRange(model);
            problems.AddRange(ProcessSettingsRefused(top));
        }

        if (problems.Count == 0 && settings.Enabled)
        {
            AddSilo(builder, settings);
        }

        return problems;
    }

    /// <summary>
    /// The settings of a single process's run of the model <c>default</c> that cluster mode cannot honour,
    /// since no pipeline of this process holds <c>default</c> there: configured sources (their resume
    /// positions are this process's own, which no grain holds), the checkpoint (its file, or starting
    /// without it) and the final snapshot file (the model's state is in Redis), the dead-letter file (a
    /// worker logs the records it rejects) and the MQTT publisher (every worker would publish the one model).
    /// </summary>
    private static IEnumerable<string> ProcessSettingsRefused(IConfigurationSection top)
    {
        string section = StreamingClustersOptions.SectionName;
        foreach (IConfigurationSection source in top.GetSection("Sources").GetChildren())
        {
            string what = string.Equals(source["Kind"], "Mqtt", StringComparison.OrdinalIgnoreCase) ? "an MQTT subscription" : "a source";
            yield return $"{section}:Sources:{source.Key} is not read in cluster mode ({what} resumes from a position of this process's own, which no model grain holds): " +
                "post its points to /points (the model default) or /models/{name}/points of any worker.";
        }

        if (!string.IsNullOrWhiteSpace(top["Checkpoint:Path"]))
        {
            yield return $"{section}:Checkpoint:Path (--checkpoint) is not written in cluster mode: every model's state, the model default's too, is in the cluster's Redis.";
        }

        if (bool.TryParse(top["Checkpoint:StartFresh"], out bool fresh) && fresh)
        {
            yield return $"{section}:Checkpoint:StartFresh (--fresh) is not honoured in cluster mode: the model default's state is the cluster's, in Redis, and goes on.";
        }

        if (!string.IsNullOrWhiteSpace(top["SnapshotPath"]))
        {
            yield return $"{section}:SnapshotPath (--snapshot-out) is not written in cluster mode: GET /model gives the model default's snapshot on any worker.";
        }

        if (!string.IsNullOrWhiteSpace(top["DeadLetterPath"]))
        {
            yield return $"{section}:DeadLetterPath (--dead-letter) is not written in cluster mode: a worker logs the records it rejects and counts them in the model's pointsRejected.";
        }

        if (top.GetSection("MqttPublish").AsEnumerable().Any(p => !string.IsNullOrWhiteSpace(p.Value)))
        {
            yield return $"{section}:MqttPublish (--mqtt-publish) is not published in cluster mode (every worker would publish the one model): follow GET /model/stream of any worker.";
        }
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
        // The model default is a grain too: no pipeline of this process runs it (nor reads sources,
        // writes its checkpoint or records its metrics).
        foreach (ServiceDescriptor run in builder.Services.Where(d => !d.IsKeyedService && d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(StreamingClustersService)).ToList())
        {
            builder.Services.Remove(run);
        }

        builder.Services.AddSingleton<ClusterModelCatalog>();
        builder.Services.Replace(ServiceDescriptor.Singleton<IModelCatalog>(sp => sp.GetRequiredService<ClusterModelCatalog>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterModelCatalog>());
    }
}
