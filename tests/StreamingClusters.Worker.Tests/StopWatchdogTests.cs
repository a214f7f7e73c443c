using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace StreamingClusters.Worker.Tests;

/// <summary>The cluster-mode watchdog ends a stop that outlasts its limit, and only such a stop.</summary>
public sealed class StopWatchdogTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task Stop_OutlastsTheLimit_ExitsWithOne()
    {
        var time = new FakeTimeProvider();
        var lifetime = new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance);
        var exits = new List<int>();
        using var sut = new StopWatchdog(lifetime, Limit, time, NullLogger.Instance, exits.Add);
        await sut.StartAsync(CancellationToken.None);

        time.Advance(Limit * 2);
        Assert.Empty(exits);
        lifetime.StopApplication();
        await sut.StopAsync(CancellationToken.None);
        time.Advance(Limit - TimeSpan.FromTicks(1));
        Assert.Empty(exits);
        time.Advance(TimeSpan.FromTicks(1));

        Assert.Equal([ExitCodes.Failed], exits);
    }

    [Fact]
    public async Task Stop_FinishesWithinTheLimit_NeverExits()
    {
        var time = new FakeTimeProvider();
        var lifetime = new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance);
        var exits = new List<int>();
        var sut = new StopWatchdog(lifetime, Limit, time, NullLogger.Instance, exits.Add);
        await sut.StartAsync(CancellationToken.None);

        lifetime.StopApplication();
        time.Advance(Limit / 2);
        sut.Dispose();
        time.Advance(Limit * 2);

        Assert.Empty(exits);
    }
}
