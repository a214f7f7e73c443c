using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace StreamingClusters.Worker.Tests.Dashboard;

/// <summary>
/// The worker's page open in a browser tab, with what its console said. Reads what the page shows:
/// the root element's data-version and data-points-applied, and the centroid table's cells.
/// </summary>
internal sealed class DashboardPage : IAsyncDisposable
{
    private static readonly float WaitMilliseconds = 60_000;
    private readonly IBrowserContext _context;
    private readonly List<string> _errors = [];

    private DashboardPage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (_errors)
                {
                    _errors.Add($"{message.Text} ({message.Location})");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_errors)
            {
                _errors.Add("uncaught: " + error);
            }
        };
    }

    public IPage Page { get; }

    /// <summary>Gets the errors the page's console has shown so far (uncaught exceptions among them).</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    public static async Task<DashboardPage> OpenAsync(IBrowser browser, Uri address, string fragment = "")
    {
        IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            DeviceScaleFactor = 1,
        });
        IPage page = await context.NewPageAsync();
        var dashboard = new DashboardPage(context, page);
        await page.GotoAsync(new Uri(address, "/" + fragment).ToString());
        return dashboard;
    }

    /// <summary>Waits until the page shows <paramref name="version"/> with <paramref name="applied"/> points.</summary>
    public Task ShowsAsync(long version, long applied) =>
        WaitAsync($"document.documentElement.dataset.version === '{version}' && document.documentElement.dataset.pointsApplied === '{applied}'");

    /// <summary>Waits until a JavaScript condition on the page holds.</summary>
    public Task WaitAsync(string condition) =>
        Page.WaitForFunctionAsync("() => " + condition, null, new PageWaitForFunctionOptions { Timeout = WaitMilliseconds, PollingInterval = 20 });

    public async Task<long> VersionAsync() =>
        long.Parse(await Page.EvaluateAsync<string>("() => document.documentElement.dataset.version"), CultureInfo.InvariantCulture);

    /// <summary>Gets the centroid table as shown: per row, the weight then the centroid's values, from the rows' data-values.</summary>
    public async Task<double[][]> TableAsync()
    {
        JsonElement rows = await Page.EvaluateAsync<JsonElement>(
            "() => [...document.querySelectorAll('#centroids tbody tr')].map(tr => JSON.parse(tr.dataset.values))");
        return [.. rows.EnumerateArray().Select(r => r.EnumerateArray().Where((_, i) => i != 1).Select(v => v.GetDouble()).ToArray())];
    }

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
