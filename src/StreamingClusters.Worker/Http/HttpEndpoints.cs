using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace StreamingClusters.Worker.Http;

/// <summary>Wires the HTTP surface: settings, services, routes and the start-up log.</summary>
internal static partial class HttpEndpoints
{
    /// <summary>The service name of the metrics' resource.</summary>
    public const string ServiceName = "streamingclusters";

    /// <summary>Gets the worker's version, as its assembly states it (without the commit suffix).</summary>
    private static string? ServiceVersion =>
        typeof(HttpEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];

    /// <summary>Says whether HTTP is configured: <c>Urls</c> (or <c>--urls</c>) or <c>Kestrel:Endpoints</c>.</summary>
    /// <param name="configuration">The worker's configuration.</param>
    /// <returns><see langword="true"/> when the worker should listen.</returns>
    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["urls"]) || configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();

    /// <summary>Adds the settings and services of the endpoints.</summary>
    /// <param name="builder">The web application's builder.</param>
    public static void AddHttpEndpoints(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HttpOptions>().Bind(builder.Configuration.GetSection(HttpOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<HttpOptions>>(new HttpOptionsValidator(OpenAddresses(builder.Configuration)));
        builder.Services.AddSingleton<ApiKeyFilter>();
        builder.Services.AddSingleton<IngestLimitFilter>();
        DashboardEndpoints.AddRecentRejections(builder.Services);
        // Named models beside the default one, under /models/{name}; declared ones under StreamingClusters:Models.
        // In cluster mode the cluster's catalog holds every model, default among them: no model of this process runs.
        if (!builder.Services.Any(d => d.ServiceType == typeof(StreamingClusters.Models.IModelCatalog)))
        {
            builder.Services.AddStreamingClustersModels(builder.Configuration.GetSection(StreamingClusters.Options.StreamingClustersOptions.SectionName));
        }
        else
        {
            // One per worker, shared by /healthz and /metrics: both read the same rounds of the models' statuses.
            builder.Services.AddSingleton(sp => new ClusterHealth(sp.GetService<TimeProvider>() ?? TimeProvider.System, ModelsHealth.Timeout));
            builder.Services.AddSingleton(sp => new ClusterModelMetrics(
                sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
                sp.GetRequiredService<ClusterHealth>(),
                sp.GetRequiredService<StreamingClusters.Models.IModelCatalog>));
        }

        builder.Services.Configure<KestrelServerOptions>(o => KestrelLimits.Bind(builder.Configuration.GetSection(KestrelLimits.SectionName), o.Limits));
        // ASP.NET Core's own meters give requests by route and status (the 503s and 413s among them) and
        // Kestrel's open connections, next to the model's.
        // Named for dashboards (target_info{service_name="streamingclusters"}), not "unknown_service:dotnet".
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName, serviceVersion: ServiceVersion))
            .WithMetrics(m => m
            .AddMeter("StreamingClusters", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            // Every scrape reads the model as it is now: the exporter's default keeps a response for 300 ms,
            // so a scrape just after a snapshot could still show the one before it (or none before seeding).
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
    }

    /// <summary>Maps the endpoints and logs where they listen once Kestrel has bound.</summary>
    /// <param name="app">The application.</param>
    public static void MapHttpEndpoints(this WebApplication app)
    {
        app.UseJsonErrors();
        CatalogEndpoints.Map(app);
        IngestEndpoints.Map(app);
        ModelEndpoints.Map(app);
        ScoreEndpoints.Map(app);
        HealthEndpoints.Map(app);
        DashboardEndpoints.Map(app);
        // In cluster mode the models' instruments are made now, so that the first scrape already has them.
        app.Services.GetService<ClusterModelMetrics>();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.Lifetime.ApplicationStarted.Register(() => LogListening(app));
    }

    private static void LogListening(WebApplication app)
    {
        ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("StreamingClusters.Worker.Http");
        ICollection<string> addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (string address in addresses)
        {
            LogAddress(logger, address);
        }

        bool hasKey = !string.IsNullOrEmpty(app.Services.GetRequiredService<IOptions<HttpOptions>>().Value.ApiKey);
        if (!hasKey && addresses.Any(a => !IsLoopback(a)))
        {
            LogOpenIngest(logger, string.Join(", ", addresses.Where(a => !IsLoopback(a))));
        }
    }

    /// <summary>Gets the configured addresses (<c>Urls</c>, <c>Kestrel:Endpoints:*:Url</c>) that are not loopback.</summary>
    /// <param name="configuration">The worker's configuration.</param>
    /// <returns>Those addresses; a host name other than localhost counts as every interface, as Kestrel binds it.</returns>
    internal static IReadOnlyList<string> OpenAddresses(IConfiguration configuration)
    {
        IEnumerable<string> urls = (configuration["urls"] ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        return [.. urls.Where(u => !IsLoopback(u))];
    }

    private static bool IsLoopback(string address)
    {
        if (!Uri.TryCreate(address.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out Uri? uri))
        {
            return false;
        }

        return uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out IPAddress? ip) && IPAddress.IsLoopback(ip));
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "HTTP listening on {Address}")]
    private static partial void LogAddress(ILogger logger, string address);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "HTTP listens beyond loopback ({Addresses}) without StreamingClusters:Http:ApiKey: anyone who can reach it may post points")]
    private static partial void LogOpenIngest(ILogger logger, string addresses);
}
