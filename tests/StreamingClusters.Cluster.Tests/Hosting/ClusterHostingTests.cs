using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using StreamingClusters.Cluster.Hosting;

namespace StreamingClusters.Cluster.Tests.Hosting;

public sealed class ClusterHostingTests
{
    [Fact]
    public void AddStreamingClustersCluster_ServiceIdIsTheClusterId_SoClustersOnOneRedisKeepTheirOwnState()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Configuration["StreamingClusters:Cluster:Redis"] = "127.0.0.1:6379";
        builder.Configuration["StreamingClusters:Cluster:ClusterId"] = "plant-east";

        Assert.Empty(builder.AddStreamingClustersCluster());
        using IHost host = builder.Build();

        ClusterOptions options = host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal("plant-east", options.ClusterId);
        Assert.Equal("plant-east", options.ServiceId);
    }
}
