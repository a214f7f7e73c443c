using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using StreamingClusters.Worker.Tests.Http;
using static StreamingClusters.Worker.Tests.Http.HttpRequests;

namespace StreamingClusters.Worker.Tests.Dashboard;

/// <summary>
/// The page at GET / in real headless Chromium against the real worker on loopback: it shows what
/// GET /model says, follows new points without a reload, survives a restart of the worker, and says
/// nothing on its console.
/// </summary>
public sealed class DashboardPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Key = "dashboard-test-key-0123456789";

    [Fact]
    public async Task Page_PointsPosted_ShowsGetModelAndFollowsWithoutReload()
    {
        await using WorkerServer server = await WorkerServer.StartAsync();
        await PostPointsAsync(server, Blobs(40, offset: 0));
        await using DashboardPage page = await DashboardPage.OpenAsync(browser.Browser, server.Client.BaseAddress!);
        await page.WaitAsync("document.documentElement.dataset.pointsApplied === '40'");
        await AssertShowsModelAsync(page, server);

        long shown = await page.VersionAsync();
        await PostPointsAsync(server, Blobs(40, offset: 40));
        await page.WaitAsync($"Number(document.documentElement.dataset.version) > {shown}");
        await page.WaitAsync("document.documentElement.dataset.pointsApplied === '80'");
        await AssertShowsModelAsync(page, server);
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task Page_ModelInTheAddress_FollowsThatModel_PickerListsEveryModel_AndSaysSoWhenItIsDeleted()
    {
        await using WorkerServer server = await WorkerServer.StartAsync("--api-key", Key);
        using (var put = new HttpRequestMessage(HttpMethod.Put, new Uri("/models/b", UriKind.Relative)) { Content = new StringContent("""{"Clusters": 3, "Seeding": {"BufferSize": 6}}""", Encoding.UTF8, "application/json") })
        {
            put.Headers.Add("X-Api-Key", Key);
            using HttpResponseMessage created = await server.Client.SendAsync(put);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await PostPointsAsync(server, Blobs(40, offset: 0));
        await PostPointsAsync(server, Blobs(30, offset: 7) + "1,oops\n", "/models/b/points");
        await using DashboardPage page = await DashboardPage.OpenAsync(browser.Browser, server.Client.BaseAddress!, "?model=b#key=" + Key);

        await page.WaitAsync("document.documentElement.dataset.pointsApplied === '30'");
        await AssertShowsModelAsync(page, server, "/models/b");
        Assert.Equal(3, (await page.TableAsync()).Length);
        await page.WaitAsync("document.querySelectorAll('#model option').length === 2");
        Assert.Equal(["b", "default"], await page.Page.EvalOnSelectorAllAsync<string[]>("#model option", "os => os.map(o => o.value)"));
        Assert.Equal("b", await page.Page.InputValueAsync("#model"));
        // b's rejected record is shown; the default model has none.
        await page.WaitAsync("[...document.querySelectorAll('#rejections li')].some(li => li.textContent.includes('not a number'))");
        Assert.Empty(page.Errors);

        // Picking another model opens its page: the address says which.
        Task opened = page.Page.WaitForURLAsync("**/?model=default");
        await page.Page.SelectOptionAsync("#model", "default");
        await opened;
        await page.WaitAsync("document.documentElement.dataset.model === 'default' && document.documentElement.dataset.pointsApplied === '40'");
        Assert.EndsWith("/?model=default", page.Page.Url, StringComparison.Ordinal);
        await AssertShowsModelAsync(page, server, "/model");
        Assert.Equal(0, await page.Page.Locator("#rejections li").CountAsync());

        await page.Page.GotoAsync(new Uri(server.Client.BaseAddress!, "/?model=b").ToString());
        await page.WaitAsync("document.documentElement.dataset.pointsApplied === '30' && document.documentElement.dataset.connection === 'live'");
        using (var delete = new HttpRequestMessage(HttpMethod.Delete, new Uri("/models/b", UriKind.Relative)))
        {
            delete.Headers.Add("X-Api-Key", Key);
            using HttpResponseMessage deleted = await server.Client.SendAsync(delete);
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await page.WaitAsync("document.documentElement.dataset.connection === 'gone' && !document.getElementById('gone').hidden");
        Assert.Equal(
            "There is no model named 'b' (deleted, or never made): pick another above. This page follows it again if it is made.",
            await page.Page.TextContentAsync("#gone"));
        // What the browser says of the 404s that found the model gone; nothing else.
        Assert.All(page.Errors, e => Assert.Contains("404", e, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Page_WorkerRestartedOnTheSamePort_ReconnectsAndShowsTheNewModel()
    {
        var address = new Dictionary<string, string> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort()}" };
        WorkerServer first = await WorkerServer.StartAsync(address);
        DashboardPage page;
        try
        {
            await PostPointsAsync(first, Blobs(40, offset: 0));
            page = await DashboardPage.OpenAsync(browser.Browser, first.Client.BaseAddress!);
            await page.WaitAsync("document.documentElement.dataset.pointsApplied === '40' && document.documentElement.dataset.connection === 'live'");
            await first.StopAsync();
            await page.WaitAsync("document.documentElement.dataset.connection === 'reconnecting'");
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using (page)
        {
            // A new worker with no checkpoint: its versions start again, with fewer points than the first had.
            await using WorkerServer second = await WorkerServer.StartAsync(address);
            await PostPointsAsync(second, Blobs(24, offset: 100));
            await page.WaitAsync("document.documentElement.dataset.pointsApplied === '24' && document.documentElement.dataset.connection === 'live'");
            await AssertShowsModelAsync(page, second);
            // While the worker was away the browser said so for each attempt to reach it; nothing else.
            Assert.All(page.Errors, e => Assert.Contains("ERR_CONNECTION_REFUSED", e, StringComparison.Ordinal));
            Assert.Equal(1, await page.Page.Locator("#events li", new() { HasTextString = "reconnected" }).CountAsync());
        }
    }

    [Fact]
    public async Task Page_ApiKeyInTheFragment_ShowsRejectionReasonsAndDropsTheFragment()
    {
        await using WorkerServer server = await WorkerServer.StartAsync("--api-key", Key);
        await PostPointsAsync(server, Blobs(16, offset: 0) + "1,oops\n");
        await using DashboardPage page = await DashboardPage.OpenAsync(browser.Browser, server.Client.BaseAddress!, "#key=" + Key);
        await page.WaitAsync("[...document.querySelectorAll('#rejections li')].some(li => li.textContent.includes('not a number'))");
        Assert.Equal(server.Client.BaseAddress + string.Empty, page.Page.Url);
        Assert.True(await page.Page.Locator("#key-form").IsHiddenAsync());
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task Page_SampleSensorsStreamedIn_ScreenshotIsNotBlank()
    {
        await using WorkerServer server = await WorkerServer.StartAsync(
            "--clusters", "5", "--dimensions", "6", "--batch-size", "500", "--seed", "42",
            "--StreamingClusters:Seeding:BufferSize=4096", "--StreamingClusters:HalfLife=20000points",
            "--StreamingClusters:BatchTimeout=20ms");
        await using DashboardPage page = await DashboardPage.OpenAsync(browser.Browser, server.Client.BaseAddress!);

        // The README's sample, a chunk at a time, each shown before the next is sent: the time series
        // fill in as they would from a live feed.
        long applied = 0;
        foreach (string chunk in SensorChunks(rows: 1000))
        {
            applied += await PostCountingAsync(server, chunk);
            if (applied >= 4096)
            {
                await page.WaitAsync($"document.documentElement.dataset.pointsApplied === '{applied}'");
            }
        }

        await page.WaitAsync("document.querySelectorAll('#rejections li').length > 0");
        // A full-page screenshot is rasterised in software here: on a busy two-core machine it can take a while.
        byte[] png = await page.Page.ScreenshotAsync(new() { FullPage = true, Timeout = 120_000 });
        string artefact = Path.Combine(AppContext.BaseDirectory, "artifacts", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(artefact)!);
        await File.WriteAllBytesAsync(artefact, png);
        if (Environment.GetEnvironmentVariable("STREAMINGCLUSTERS_UPDATE_SCREENSHOT") == "1")
        {
            await File.WriteAllBytesAsync(Path.Combine(RepositoryRoot(), "tests", "StreamingClusters.Worker.Tests", "Dashboard", "dashboard.png"), png);
        }

        (int colours, double commonest) = await ColoursAsync(png);
        Assert.True(colours > 200, $"the screenshot has {colours} colours");
        Assert.True(commonest < 0.8, $"one colour covers {commonest:P0} of the screenshot");
        Assert.Empty(page.Errors);
    }

    /// <summary>Counts a PNG's distinct colours, and the share of its commonest, in a blank tab of the same browser.</summary>
    private async Task<(int Colours, double Commonest)> ColoursAsync(byte[] png)
    {
        IPage blank = await browser.Browser.NewPageAsync();
        try
        {
            JsonElement counted = await blank.EvaluateAsync<JsonElement>(
                """
                async base64 => {
                  const bitmap = await createImageBitmap(await (await fetch('data:image/png;base64,' + base64)).blob());
                  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
                  const g = canvas.getContext('2d');
                  g.drawImage(bitmap, 0, 0);
                  const data = g.getImageData(0, 0, bitmap.width, bitmap.height).data;
                  const counts = new Map();
                  for (let i = 0; i < data.length; i += 4) {
                    const c = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
                    counts.set(c, (counts.get(c) || 0) + 1);
                  }
                  return [counts.size, Math.max(...counts.values()) / (data.length / 4)];
                }
                """, Convert.ToBase64String(png));
            return (counted[0].GetInt32(), counted[1].GetDouble());
        }
        finally
        {
            await blank.CloseAsync();
        }
    }

    /// <summary>The sample's sensor readings (samples/sensors.csv) as CSV bodies of the six numeric columns, broken rows kept.</summary>
    private static IEnumerable<string> SensorChunks(int rows)
    {
        string[] lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), "samples", "sensors.csv"));
        for (int start = 1; start < lines.Length; start += rows)
        {
            var csv = new StringBuilder("temperature,pressure,vibration,current,flow,rpm\n");
            foreach (string line in lines.Skip(start).Take(rows))
            {
                string[] fields = line.Split(',');
                // As the sample's profile picks its columns: the timestamp and machine left out.
                csv.Append(string.Join(',', fields[1..Math.Min(fields.Length, 7)])).Append('\n');
            }

            yield return csv.ToString();
        }
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StreamingClusters.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("The repository's root is not above " + AppContext.BaseDirectory);
    }

    /// <summary>Posts a CSV body and returns how many of its points were accepted.</summary>
    private static async Task<long> PostCountingAsync(WorkerServer server, string csv)
    {
        using HttpResponseMessage response = await PostAsync(server.Client, "/points", csv);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument body = await ReadJsonAsync(response);
        return body.RootElement.GetProperty("accepted").GetInt64();
    }

    /// <summary>The centroids on the page (the table's cells), its version and points applied are those of GET /model (or <paramref name="path"/>).</summary>
    private static async Task AssertShowsModelAsync(DashboardPage page, WorkerServer server, string path = "/model")
    {
        using JsonDocument model = JsonDocument.Parse(await server.Client.GetStringAsync(new Uri(path, UriKind.Relative)));
        JsonElement m = model.RootElement;
        Assert.Equal(m.GetProperty("version").GetInt64(), await page.VersionAsync());
        Assert.Equal(m.GetProperty("pointsApplied").GetInt64().ToString(CultureInfo.InvariantCulture),
            await page.Page.EvaluateAsync<string>("() => document.documentElement.dataset.pointsApplied"));
        double[][] table = await page.TableAsync();
        double[] weights = [.. m.GetProperty("weights").EnumerateArray().Select(w => w.GetDouble())];
        double[][] centroids = [.. m.GetProperty("centroids").EnumerateArray().Select(c => c.EnumerateArray().Select(v => v.GetDouble()).ToArray())];
        Assert.Equal(centroids.Length, table.Length);
        for (int i = 0; i < centroids.Length; i++)
        {
            Assert.Equal([weights[i], .. centroids[i]], table[i]);
        }
    }

    internal static async Task PostPointsAsync(WorkerServer server, string csv, string path = "/points")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(csv, Encoding.UTF8, "text/csv"),
        };
        request.Headers.Add("X-Api-Key", Key);
        using HttpResponseMessage response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Points around (0, 0) and (10, 10) in turn, the same for the same arguments.</summary>
    internal static string Blobs(int count, int offset)
    {
        var csv = new StringBuilder();
        for (int i = offset; i < offset + count; i++)
        {
            double centre = i % 2 * 10;
            csv.Append(CultureInfo.InvariantCulture, $"{centre + (i * 37 % 101 / 100.0)},{centre + (i * 53 % 97 / 100.0)}\n");
        }

        return csv.ToString();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
