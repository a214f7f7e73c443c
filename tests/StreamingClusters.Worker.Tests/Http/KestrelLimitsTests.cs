using System.Net;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>Kestrel's own limits from the section Kestrel:Limits, over real loopback HTTP.</summary>
public sealed class KestrelLimitsTests
{
    [Fact]
    public async Task Serve_MaxConcurrentConnectionsOne_ASecondConnectionIsRefused()
    {
        await using WorkerServer server = await WorkerServer.StartAsync(
            "--Kestrel:Limits:MaxConcurrentConnections=1", "--Kestrel:Limits:MinRequestBodyDataRate:BytesPerSecond=100");

        // The first client's connection stays open (kept alive) after its answer, so it holds the one place.
        using (HttpResponseMessage first = await server.Client.GetAsync(new Uri("/metrics", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using var second = new HttpClient { BaseAddress = server.Client.BaseAddress };
        await Assert.ThrowsAsync<HttpRequestException>(() => second.GetAsync(new Uri("/metrics", UriKind.Relative)));

        // The first connection is still served.
        using HttpResponseMessage again = await server.Client.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Start_BadKestrelLimits_RefusedNamingEachSetting()
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("sc-kestrel-limits-");
        try
        {
            string input = Path.Combine(dir.FullName, "empty.csv");
            await File.WriteAllTextAsync(input, string.Empty);

            WorkerProcess.Result run = await WorkerProcess.RunAsync(
                dir.FullName, null, "--urls", "http://127.0.0.1:0", "--input", input,
                "--Kestrel:Limits:MaxConcurrentConnections=-1", "--Kestrel:Limits:MaxConcurentConnections=5",
                "--Kestrel:Limits:MinRequestBodyDataRate:BytesPerSecond=0");

            Assert.Equal(2, run.ExitCode);
            // The reasons after the colon are Kestrel's and the binder's own words.
            Assert.Contains("Configuration refused: Kestrel:Limits:MaxConcurrentConnections is refused: ", run.Error, StringComparison.Ordinal);
            Assert.Contains("Configuration refused: Kestrel:Limits:MaxConcurentConnections is refused: ", run.Error, StringComparison.Ordinal);
            Assert.Contains("Configuration refused: Kestrel:Limits:MinRequestBodyDataRate is refused: ", run.Error, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
