using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.Hosting;

public sealed class StreamingClustersServiceTests
{
    [Fact]
    public async Task AddStreamingClusters_EmbeddedInAHost_WriterFeedsAndStopDrainsToTheFinalSnapshot()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["StreamingClusters:Clusters"] = "3",
            ["StreamingClusters:Dimensions"] = "4",
            ["StreamingClusters:BatchSize"] = "256",
            ["StreamingClusters:Seeding:BufferSize"] = "512",
        });
        builder.Services.AddStreamingClusters(builder.Configuration.GetSection("StreamingClusters"));
        using IHost host = builder.Build();
        var writer = host.Services.GetRequiredService<IPointWriter>();
        var snapshots = host.Services.GetRequiredService<IObservable<CentroidSnapshot>>();
        var scorer = host.Services.GetRequiredService<IClusterScorer>();
        CentroidSnapshot? last = null;
        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable subscription = snapshots.Subscribe(s => last = s, ex => completed.TrySetException(ex), () => completed.TrySetResult());

        await host.StartAsync();
        WriteResult result = await writer.WriteAsync(TestData.Blobs(3_000, 4, clusters: 3, seed: 4), 4);
        await host.StopAsync();
        await completed.Task;

        Assert.Equal(new WriteResult(3_000, 0), result);
        Assert.NotNull(last);
        Assert.True(last.IsFinal);
        Assert.Equal(3_000, last.PointsApplied);
        Assert.Equal(last.Version, scorer.Version);
    }

    [Fact]
    public void AddStreamingClusters_SettingsInCodeOnly_BindsThem()
    {
        var services = new ServiceCollection();

        services.AddStreamingClusters(o =>
        {
            o.Clusters = 3;
            o.Seeding.BufferSize = 300;
        });
        using ServiceProvider provider = services.BuildServiceProvider();

        StreamingClustersOptions options = provider.GetRequiredService<IOptions<StreamingClustersOptions>>().Value;
        Assert.Equal((3, 300, 1024), (options.Clusters, options.Seeding.BufferSize, options.BatchSize));
    }

    [Fact]
    public async Task AddStreamingClusters_SettingsInCodeRefused_StartFailsNamingTheSetting()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddStreamingClusters(o => o.ReseedRatio = 2);
        using IHost host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal("ReseedRatio: StreamingClusters:ReseedRatio must be in [0, 1) (got 2).", Assert.Single(error.Failures));
    }
}
