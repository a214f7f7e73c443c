namespace StreamingClusters.Cluster.Tests.RealProcesses;

/// <summary>A worker in cluster mode stopped (SIGTERM) while its Redis is gone still ends.</summary>
public sealed class WorkerStopTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Terminate_RedisGone_ExitsWithOneAfterTheShutdownTimeoutAndItsGraceSayingWhy()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(90) };
        await using WorkerCluster cluster = await WorkerCluster.StartAsync(1, client, "--HostOptions:ShutdownTimeout=00:00:01");
        WorkerCluster.Worker worker = cluster.Workers[0];

        await cluster.StopRedisAsync();
        int exitCode = await worker.TerminateAsync(Hang);

        Assert.Equal(1, exitCode);
        Assert.Contains("The stop did not finish within 00:00:11", worker.Output, StringComparison.Ordinal);
    }
}
