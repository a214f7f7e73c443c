using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace StreamingClusters.Worker;

/// <summary>
/// The generic host for a run that does not serve HTTP, built on an empty builder with the defaults the
/// worker uses set up by hand, in the order <c>Host.CreateApplicationBuilder</c> adds them: host settings
/// from <c>DOTNET_</c> variables, then appsettings.json, appsettings.{Environment}.json and environment
/// variables; the <c>Logging</c> section and the EventSource logger that diagnostics tools read; metrics
/// configured from the <c>Metrics</c> section; scopes validated in Development. What it leaves out is what
/// a worker does not use (the Debug logger, user secrets, command-line arguments: the worker reads its
/// switches itself), and it takes about 10 ms less to make (tests/StreamingClusters.Benchmarks/results).
/// </summary>
internal static class WorkerHostDefaults
{
    private const string ReloadOnChangeKey = "hostBuilder:reloadConfigOnChange";

    /// <summary>Makes the builder.</summary>
    /// <param name="contentRoot">The folder appsettings.json is read from.</param>
    /// <param name="reloadOnChange">Whether to watch the settings files, unless <c>DOTNET_hostBuilder__reloadConfigOnChange</c> says.</param>
    /// <returns>The builder, with the configuration sources and logging of the defaults.</returns>
    public static HostApplicationBuilder CreateBuilder(string contentRoot, bool reloadOnChange)
    {
        var configuration = new ConfigurationManager();
        configuration.AddEnvironmentVariables(prefix: "DOTNET_");
        string environment = configuration[HostDefaults.EnvironmentKey] is { Length: > 0 } named ? named : Environments.Production;
        reloadOnChange = configuration.GetValue(ReloadOnChangeKey, reloadOnChange);

        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = contentRoot,
            EnvironmentName = environment,
            ApplicationName = configuration[HostDefaults.ApplicationKey],
            Configuration = configuration,
        });
        builder.Configuration
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange)
            .AddJsonFile($"appsettings.{builder.Environment.EnvironmentName}.json", optional: true, reloadOnChange)
            .AddEnvironmentVariables();
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddEventSourceLogger();
        builder.Services.AddMetrics(metrics => metrics.AddConfiguration(builder.Configuration.GetSection("Metrics")));
        if (builder.Environment.IsDevelopment())
        {
            builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true }));
        }

        return builder;
    }
}
