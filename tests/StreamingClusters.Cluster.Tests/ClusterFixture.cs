using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;
using StreamingClusters.Cluster.Hosting;
using StreamingClusters.Cluster.Ingest;

namespace StreamingClusters.Cluster.Tests;

/// <summary>Three in-process silos (Orleans' testing host) with the models' state in a redis-server of the tests' own.</summary>
public class ClusterFixture : IAsyncLifetime
{
    private const string RedisKey = "StreamingClustersTests:Redis";

    private RedisServer? _redis;

    /// <summary>Gets the cluster.</summary>
    public TestCluster Cluster { get; private set; } = null!;

    /// <summary>Gets the tests' redis-server, HOST:PORT.</summary>
    public string RedisEndpoint => _redis!.Endpoint;

    /// <summary>Gets each silo's ingest, in the order of <see cref="TestCluster.Silos"/>.</summary>
    public IReadOnlyList<SiloIngest> Ingests => [.. Cluster.Silos.Select(s => ((InProcessSiloHandle)s).ServiceProvider.GetRequiredService<SiloIngest>())];

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        var builder = new TestClusterBuilder(3);
        builder.Properties[RedisKey] = _redis.Endpoint;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Configure(builder);
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>Adds to the cluster's configuration.</summary>
    /// <param name="builder">The cluster's builder.</param>
    protected virtual void Configure(TestClusterBuilder builder)
    {
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        // Every block asks for the version first, so that each is assigned against the model current
        // when it arrives (the single-process order the tests compare with).
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder
            .AddIncomingGrainCallFilter<GrainCallCounter>()
            .AddIncomingGrainCallFilter<Grains.HeldTurn>()
            .AddOutgoingGrainCallFilter<HeldCall>()
            .AddStreamingClustersModels(siloBuilder.Configuration[RedisKey]!, o => o.CentroidRefreshInterval = TimeSpan.Zero);
    }
}

/// <summary>The tests that share the three silos.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "cluster";
}
