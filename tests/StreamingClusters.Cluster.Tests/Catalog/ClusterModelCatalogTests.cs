using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Cluster.Catalog;
using StreamingClusters.Diagnostics;
using StreamingClusters.Models;
using StreamingClusters.Options;
using StreamingClusters.Sinks;

namespace StreamingClusters.Cluster.Tests.Catalog;

[Collection(ClusterCollection.Name)]
public sealed class ClusterModelCatalogTests(ClusterFixture fixture)
{
    [Fact]
    public async Task LocalCatalog_InClusterMode_MakesNoneOfTheDeclaredNamedModels()
    {
        IConfiguration configuration = Configuration(new()
        {
            ["StreamingClusters:Models:declared-here:Clusters"] = "3",
            ["StreamingClusters:Models:declared-here:Dimensions"] = "2",
        });
        using LocalModelCatalog local = Local(configuration);
        _ = Catalog(configuration, local);

        await local.StartAsync(CancellationToken.None);
        IReadOnlyList<ModelInfo> models = await local.ListAsync();
        await local.StopAsync(CancellationToken.None);

        Assert.Equal([ModelName.Default], models.Select(m => m.Name));
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values)
    {
        values.TryAdd("StreamingClusters:Dimensions", "2");
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    private static LocalModelCatalog Local(IConfiguration configuration)
    {
        IConfigurationSection section = configuration.GetSection(StreamingClustersOptions.SectionName);
        var top = new StreamingClustersOptions();
        section.Bind(top);
        var metrics = new StreamingClustersMetrics();
        var deadLetters = new LoggingDeadLetterSink(NullLogger<LoggingDeadLetterSink>.Instance);
        var pipeline = new ClusteringPipeline(top, deadLetters, TimeProvider.System, NullLoggerFactory.Instance, metrics: metrics);
        return new LocalModelCatalog(section, pipeline, Microsoft.Extensions.Options.Options.Create(top), deadLetters, TimeProvider.System, NullLoggerFactory.Instance, metrics);
    }

    private ClusterModelCatalog Catalog(IConfiguration configuration, LocalModelCatalog local) =>
        new(fixture.Ingests[0], local, configuration, fixture.Cluster.GrainFactory, TimeProvider.System, NullLoggerFactory.Instance);
}
