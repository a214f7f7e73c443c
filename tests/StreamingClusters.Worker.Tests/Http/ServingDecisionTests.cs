using System.Net;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>
/// The worker serves HTTP when an address is configured, wherever it comes from: the generic host's
/// settings decide when no ASPNETCORE_ variable is set, the web host's when one is.
/// </summary>
public sealed class ServingDecisionTests
{
    [Theory]
    [InlineData("ASPNETCORE_URLS")]
    [InlineData("DOTNET_URLS")]
    public async Task Start_AddressInAnEnvironmentVariable_ServesHttp(string variable)
    {
        await using WorkerServer server = await WorkerServer.StartAsync(new Dictionary<string, string> { [variable] = "http://127.0.0.1:0" });

        using HttpResponseMessage health = await server.Client.GetAsync(new Uri("/healthz", UriKind.Relative));

        // Served: no model yet (an empty input), so the health endpoint says it is starting.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("starting", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_AnAspNetCoreVariableWithoutAddress_ReadsTheInputAndExits()
    {
        string dir = Directory.CreateTempSubdirectory("sc-serving-").FullName;
        try
        {
            string input = Path.Combine(dir, "points.csv");
            await File.WriteAllTextAsync(input, "1,2\n3,4\n5,6\n");
            var environment = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" };

            WorkerProcess.Result result = await WorkerProcess.RunWithEnvironmentAsync(dir, environment, "--input", input, "--clusters", "2", "--seed", "1");

            Assert.Equal(0, result.ExitCode);
            Assert.Contains("3 received", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
