using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace StreamingClusters.Cluster.Tests.Grains;

/// <summary>Three silos of their own (one is killed, a reply held until then), with the membership probes tuned as cluster mode tunes them.</summary>
public sealed class FailoverFixture : ClusterFixture
{
    /// <inheritdoc/>
    protected override void Configure(TestClusterBuilder builder) => builder.AddSiloBuilderConfigurator<ProbeConfigurator>();

    private sealed class ProbeConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder
            .AddIncomingGrainCallFilter<HeldReply>()
            .Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
            });
    }
}
