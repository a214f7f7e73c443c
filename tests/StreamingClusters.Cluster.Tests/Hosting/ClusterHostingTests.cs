using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using StreamingClusters.Cluster.Hosting;
using StreamingClusters.Hosting;
using StreamingClusters.Models;

namespace StreamingClusters.Cluster.Tests.Hosting;

public sealed class ClusterHostingTests
{
    [Fact]
    public void AddStreamingClustersCluster_ServiceIdIsTheClusterId_SoClustersOnOneRedisKeepTheirOwnState()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Configuration["StreamingClusters:Cluster:Redis"] = "127.0.0.1:6379";
        builder.Configuration["StreamingClusters:Cluster:ClusterId"] = "plant-east";
        builder.Configuration["StreamingClusters:Dimensions"] = "2";

        Assert.Empty(builder.AddStreamingClustersCluster());
        using IHost host = builder.Build();

        ClusterOptions options = host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal("plant-east", options.ClusterId);
        Assert.Equal("plant-east", options.ServiceId);
    }

    [Fact]
    public void AddStreamingClustersCluster_ClusterMode_TheHostsOwnPipelineDoesNotRun()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Configuration["StreamingClusters:Cluster:Redis"] = "127.0.0.1:6379";
        builder.Configuration["StreamingClusters:Dimensions"] = "2";
        builder.Services.AddStreamingClusters(builder.Configuration.GetSection("StreamingClusters"));

        Assert.Empty(builder.AddStreamingClustersCluster());

        Assert.DoesNotContain(builder.Services, d => !d.IsKeyedService && d.ImplementationType == typeof(StreamingClustersService));
        Assert.Contains(builder.Services, d => d.ServiceType == typeof(IModelCatalog));
    }
}
