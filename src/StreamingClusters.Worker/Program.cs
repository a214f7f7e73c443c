using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamingClusters.Options;
using StreamingClusters.Worker;
using StreamingClusters.Worker.Http;

CommandLineSwitches? switches = CommandLineSwitches.Parse(args, out string? usageError);
if (switches is null)
{
    Console.Error.WriteLine(usageError);
    return 2;
}

if (switches.Help)
{
    Console.Out.Write(CommandLineSwitches.HelpText);
    return 0;
}

// appsettings.json is read from the working directory (the repository root), else from beside the executable.
string contentRoot = File.Exists(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"))
    ? Directory.GetCurrentDirectory()
    : AppContext.BaseDirectory;
if (switches.ConfigFile is { } profile && !File.Exists(profile))
{
    Console.Error.WriteLine($"--config '{profile}' does not exist.");
    return 2;
}

// The web builder reads the same sources as the generic one plus ASPNETCORE_ variables; the worker only
// becomes a web application when Urls or Kestrel endpoints are configured, else HTTP stays off. The web
// builder costs a good part of a short run's start-up, so without ASPNETCORE_ variables (then both read
// the same settings) the generic builder decides, and the web one is made only to serve.
WebApplicationBuilder? web = null;
HostApplicationBuilder? generic = null;
bool serving;
if (HasAspNetCoreVariables())
{
    web = CreateWebBuilder(contentRoot, switches);
    serving = HttpEndpoints.IsConfigured(web.Configuration);
}
else
{
    generic = CreateGenericBuilder(contentRoot, switches);
    serving = HttpEndpoints.IsConfigured(generic.Configuration);
    if (serving)
    {
        web = CreateWebBuilder(contentRoot, switches);
    }
}

if (!serving)
{
    generic ??= CreateGenericBuilder(contentRoot, switches);
}

IHostApplicationBuilder builder = serving ? web! : generic!;
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss ";
});
// HostOptions:ShutdownTimeout bounds the drain at a stop; the hosts read only the older shutdownTimeoutSeconds key on their own.
builder.Services.Configure<HostOptions>(builder.Configuration.GetSection("HostOptions"));
// Under systemd: Type=notify readiness, stop on SIGTERM, journal-friendly logs; elsewhere a no-op.
builder.Services.AddSystemd();
// Registered first so that it stops last, after the pipeline has drained and published its final snapshot.
builder.Services.AddSingleton(switches);
builder.Services.AddHostedService<ProgressReporter>();
builder.Services.AddStreamingClusters(
    builder.Configuration.GetSection(StreamingClustersOptions.SectionName),
    options => WorkerSettings.Apply(options, switches, serving));
if (serving)
{
    web!.AddHttpEndpoints();
}

try
{
    if (serving)
    {
        await using WebApplication app = web!.Build();
        app.MapHttpEndpoints();
        await app.RunAsync();
    }
    else
    {
        using IHost host = generic!.Build();
        await host.RunAsync();
    }
}
catch (OptionsValidationException ex)
{
    foreach (string failure in ex.Failures)
    {
        Console.Error.WriteLine($"Configuration refused: {failure}");
    }

    return 2;
}
catch (InvalidOperationException ex) when (ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
{
    // A value the binder cannot read as the setting's type (a word for a number, a malformed time span):
    // its message names the value and the setting, which is what the operator needs, without the trace.
    Console.Error.WriteLine($"Configuration refused: {ex.Message}");
    return 2;
}

return Environment.ExitCode;

static WebApplicationBuilder CreateWebBuilder(string contentRoot, CommandLineSwitches switches)
{
    WebApplicationBuilder web = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = contentRoot, Args = [] });
    Layer(web.Configuration, switches);
    return web;
}

static HostApplicationBuilder CreateGenericBuilder(string contentRoot, CommandLineSwitches switches)
{
    HostApplicationBuilder generic = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = contentRoot, Args = [] });
    Layer(generic.Configuration, switches);
    return generic;
}

static bool HasAspNetCoreVariables() =>
    Environment.GetEnvironmentVariables().Keys.OfType<string>().Any(name => name.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase));

static void Layer(IConfigurationManager configuration, CommandLineSwitches switches)
{
    if (switches.ConfigFile is { } profile)
    {
        configuration.AddJsonFile(Path.GetFullPath(profile), optional: false, reloadOnChange: false);
    }

    configuration.AddInMemoryCollection(switches.Settings);
}
