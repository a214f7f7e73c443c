using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using StreamingClusters.Worker.Tests.Http;
using static StreamingClusters.Worker.Tests.Http.HttpRequests;

namespace StreamingClusters.Worker.Tests.Dashboard;

/// <summary>GET / and its assets, and GET /rejections/recent, over plain HTTP against the real worker.</summary>
public sealed partial class DashboardEndpointsTests
{
    private const string Key = "dashboard-test-key-0123456789";

    [Fact]
    public async Task Root_Get_ServesThePageAndItsAssetsFromThisOriginOnly()
    {
        await using WorkerServer server = await WorkerServer.StartAsync();

        using HttpResponseMessage page = await server.Client.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        string html = await page.Content.ReadAsStringAsync();
        string[] references = [.. Reference().Matches(html).Select(m => m.Groups[1].Value)];
        Assert.Equal(["/dashboard/vendor/uplot-1.6.32/uPlot.min.css", "/dashboard/vendor/uplot-1.6.32/uPlot.iife.min.js"], references.Where(r => !r.StartsWith("data:", StringComparison.Ordinal)));
        foreach (string reference in references.Where(r => !r.StartsWith("data:", StringComparison.Ordinal)))
        {
            using HttpResponseMessage asset = await server.Client.GetAsync(new Uri(reference, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.True(asset.Headers.CacheControl?.Public, reference);
        }

        using HttpResponseMessage missing = await server.Client.GetAsync(new Uri("/dashboard/vendor/none.js", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task RejectionsRecent_KeyConfigured_RequiresItAndKeepsTheLastTwentyNewestFirst()
    {
        await using WorkerServer server = await WorkerServer.StartAsync("--api-key", Key);
        string body = string.Concat(Enumerable.Range(1, 25).Select(i => $"{i},x{i}\n")) + "1,1\n";
        using (var post = new HttpRequestMessage(HttpMethod.Post, new Uri("/points", UriKind.Relative)) { Content = new StringContent(body, MediaTypeHeaderValue.Parse("text/csv")) })
        {
            post.Headers.Add("X-Api-Key", Key);
            using HttpResponseMessage posted = await server.Client.SendAsync(post);
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }

        using (HttpResponseMessage anonymous = await server.Client.GetAsync(new Uri("/rejections/recent", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/rejections/recent", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using HttpResponseMessage response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument answer = await ReadJsonAsync(response);
        Assert.Equal(20, answer.RootElement.GetProperty("kept").GetInt32());
        JsonElement[] recent = [.. answer.RootElement.GetProperty("recent").EnumerateArray()];
        Assert.Equal(Enumerable.Range(6, 20).Reverse().Select(i => (long)i), recent.Select(r => r.GetProperty("record").GetInt64()));
        Assert.All(recent, r => Assert.Equal(("default", "http"), (r.GetProperty("model").GetString(), r.GetProperty("source").GetString())));
        Assert.Equal("value 1 (zero-based) 'x25' is not a number", recent[0].GetProperty("reason").GetString());
        Assert.False(recent[0].TryGetProperty("raw", out _));
    }

    [GeneratedRegex("(?:src|href)=\"([^\"]*)\"")]
    private static partial Regex Reference();
}
