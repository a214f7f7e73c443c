using Microsoft.Extensions.Configuration;
using StreamingClusters.Cluster.Hosting;

namespace StreamingClusters.Cluster.Tests.Catalog;

public sealed class ClusterSettingsTests
{
    [Fact]
    public void Problems_NoRedis_SingleProcessModeWithNothingToCheck()
    {
        var problems = new List<string>();
        ClusterSettings settings = ClusterSettingsReader.Read(new ConfigurationBuilder().Build(), problems);

        Assert.False(settings.Enabled);
        Assert.Empty(problems);
        Assert.Empty(settings.Problems());
    }

    [Fact]
    public void Problems_BadValues_EachNamesItsSetting()
    {
        var problems = new List<string>();
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["StreamingClusters:Cluster:Redis"] = "localhost",
            ["StreamingClusters:Cluster:SiloPort"] = "many",
            ["StreamingClusters:Cluster:GatewayPort"] = "11111",
            ["StreamingClusters:Cluster:ProbeTimeout"] = "soon",
            ["StreamingClusters:Cluster:SendDeadline"] = "00:00:00",
        }).Build();

        ClusterSettings settings = ClusterSettingsReader.Read(configuration, problems);
        problems.AddRange(settings.Problems());

        Assert.Equal(
        [
            "StreamingClusters:Cluster:SiloPort must be a whole number, got 'many'.",
            "StreamingClusters:Cluster:ProbeTimeout must be a time span such as 00:00:01, got 'soon'.",
            "StreamingClusters:Cluster:Redis must be HOST:PORT with a port in 1–65535, got 'localhost'.",
            "StreamingClusters:Cluster:GatewayPort must be in 1–65535 and differ from SiloPort, got 11111.",
            "StreamingClusters:Cluster:SendDeadline must be positive, got 00:00:00.",
        ], problems);
    }
}
