using System.Collections.Frozen;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using StreamingClusters.Sinks;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// GET / (the live page: one static file, fed by GET /model/stream like any other client), its vendored
/// assets under /dashboard/, and GET /rejections/recent (the last rejected records, behind the API key).
/// The page and its assets are embedded in the worker; nothing is fetched from elsewhere.
/// </summary>
internal static class DashboardEndpoints
{
    /// <summary>The prefix of the embedded resources and of the URLs that serve them.</summary>
    private const string Prefix = "Dashboard/";

    /// <summary>
    /// What the page may load: only this origin (which the page needs for its inline script and style),
    /// so that a page changed by mistake cannot reach another host.
    /// </summary>
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>The embedded assets by path below the prefix (index.html, vendor/…), read once.</summary>
    private static readonly FrozenDictionary<string, (byte[] Bytes, string ContentType)> Assets = LoadAssets();

    /// <summary>Registers the services of the page: the ring of recent rejections, fed by the dead-letter sink.</summary>
    /// <param name="services">The worker's services, whose dead-letter sink is already registered.</param>
    public static void AddRecentRejections(IServiceCollection services)
    {
        services.AddSingleton(sp => new RecentRejections(sp.GetService<TimeProvider>() ?? TimeProvider.System));
        ServiceDescriptor configured = services.Last(d => d.ServiceType == typeof(IDeadLetterSink));
        Func<IServiceProvider, object> create = configured.ImplementationFactory
            ?? (sp => configured.ImplementationInstance ?? ActivatorUtilities.CreateInstance(sp, configured.ImplementationType!));
        services.Remove(configured);
        services.AddSingleton<IDeadLetterSink>(sp => new RecentRejectionsSink((IDeadLetterSink)create(sp), sp.GetRequiredService<RecentRejections>()));
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Asset("index.html", immutable: false));
        // Vendored files carry their version in their path, so a browser may keep them.
        app.MapGet("/dashboard/{**path}", (string path) => Asset(path, immutable: true));
        app.MapGet("/rejections/recent", (RecentRejections recent) =>
            Results.Json(new RecentRejectionsResponse(RecentRejections.Capacity, recent.Newest()), HttpJson.Context.RecentRejectionsResponse))
            .AddEndpointFilter<ApiKeyFilter>();
    }

    private static IResult Asset(string path, bool immutable)
    {
        if (!Assets.TryGetValue(path, out (byte[] Bytes, string ContentType) asset))
        {
            return IngestEndpoints.Error(StatusCodes.Status404NotFound, $"no such file: /{path}");
        }

        return new AssetResult(asset.Bytes, asset.ContentType, immutable);
    }

    private static FrozenDictionary<string, (byte[] Bytes, string ContentType)> LoadAssets()
    {
        var assembly = typeof(DashboardEndpoints).Assembly;
        var assets = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (string name in assembly.GetManifestResourceNames())
        {
            string path = name.Replace('\\', '/');
            if (!path.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            using Stream stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            assets[path[Prefix.Length..]] = (copy.ToArray(), ContentType(path));
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentType(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };

    /// <summary>An embedded file with the headers that keep the page to its own origin.</summary>
    private sealed class AssetResult(byte[] bytes, string contentType, bool immutable) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            IHeaderDictionary headers = httpContext.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = immutable ? "public, max-age=31536000, immutable" : "no-cache";
            return Results.Bytes(bytes, contentType).ExecuteAsync(httpContext);
        }
    }
}
