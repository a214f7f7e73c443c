using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using StreamingClusters.Options;
using StreamingClusters.Sinks;
using StreamingClusters.Worker;
using StreamingClusters.Worker.Http;

CommandLineSwitches? switches = CommandLineSwitches.Parse(args, out string? usageError);
if (switches is null)
{
    Console.Error.WriteLine(usageError);
    return ExitCodes.Refused;
}

if (switches.Help)
{
    Console.Out.Write(CommandLineSwitches.HelpText);
    return ExitCodes.Success;
}

// appsettings.json is read from the working directory (the repository root), else from beside the executable.
string contentRoot = File.Exists(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"))
    ? Directory.GetCurrentDirectory()
    : AppContext.BaseDirectory;
if (switches.ConfigFile is { } profile && !File.Exists(profile))
{
    Console.Error.WriteLine($"--config '{profile}' does not exist.");
    return ExitCodes.Refused;
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
string[] refused =
[
    .. DurationConfiguration.Problems(builder.Configuration.GetSection(StreamingClustersOptions.SectionName), StreamingClusters.Mqtt.MqttDurations.StreamingClustersKeys),
    .. DurationConfiguration.Problems(builder.Configuration.GetSection("HostOptions"), DurationConfiguration.HostOptionsKeys),
];
if (refused.Length > 0)
{
    foreach (string problem in refused)
    {
        Console.Error.WriteLine($"Configuration refused: {problem}");
    }

    return ExitCodes.Refused;
}

if (switches.Input is null && !serving && !builder.Configuration.GetSection($"{StreamingClustersOptions.SectionName}:Sources").GetChildren().Any())
{
    Console.Error.WriteLine(
        "error: No input: give --input PATH (a CSV or JSON-lines file, or - for standard input), --urls URL to receive points over HTTP, " +
        "or a profile with sources, such as --config config/sample.json (the sensor demo).");
    return ExitCodes.Refused;
}

// Logs and progress lines go to standard error, one line each; standard output holds only the final summary.
bool stackTraces = Enum.TryParse(builder.Configuration["Logging:LogLevel:Default"], ignoreCase: true, out LogLevel defaultLevel) && defaultLevel <= LogLevel.Debug;
builder.Logging.AddConsole();
builder.Logging.AddConsoleFormatter<WorkerConsoleFormatter, WorkerConsoleFormatterOptions>(o =>
{
    o.TimestampFormat = "HH:mm:ss ";
    o.StackTraces = stackTraces;
});
builder.Services.Configure<ConsoleLoggerOptions>(o =>
{
    o.FormatterName = WorkerConsoleFormatter.FormatterName;
    o.LogToStandardErrorThreshold = LogLevel.Trace;
});
if (switches.Quiet)
{
    builder.Logging.AddFilter<ConsoleLoggerProvider>(category: null, LogLevel.Error);
}

// HostOptions:ShutdownTimeout bounds the drain at a stop; the hosts read only the older shutdownTimeoutSeconds key on their own.
builder.Services.Configure<HostOptions>(DurationConfiguration.Normalise(builder.Configuration.GetSection("HostOptions"), DurationConfiguration.HostOptionsKeys));
// Under systemd: Type=notify readiness, stop on SIGTERM, journal-friendly logs; elsewhere a no-op.
builder.Services.AddSystemd();
var outcome = new RunOutcome();
builder.Services.AddSingleton(outcome);
builder.Services.AddSingleton(switches);
// Registered first so that it stops last, after the pipeline has drained and published its final snapshot.
// In cluster mode no pipeline of this process runs, so there is no progress of its own to report.
bool clusterMode = !string.IsNullOrWhiteSpace(builder.Configuration[$"{StreamingClustersOptions.SectionName}:Cluster:Redis"]);
if (!clusterMode)
{
    builder.Services.AddHostedService<ProgressReporter>();
}

builder.Services.AddSingleton<IValidateOptions<StreamingClustersOptions>>(new InputCheck.ColumnsValidator(switches));
builder.Services.AddStreamingClusters(
    builder.Configuration.GetSection(StreamingClustersOptions.SectionName),
    options => WorkerSettings.Apply(options, switches, serving));
// Sources of Kind Mqtt (--mqtt-broker) and, with MqttPublish:Broker set, the publisher of the model.
builder.Services.AddStreamingClustersMqtt(builder.Configuration.GetSection(StreamingClustersOptions.SectionName));
// Cluster mode (--cluster-redis): the worker becomes an Orleans silo; without it nothing is added and no Orleans assembly loads.
// Cluster mode serves its named models only over HTTP: without Urls there would be nothing to reach them.
List<string> clusterProblems = [.. StreamingClusters.Cluster.Hosting.ClusterHostingExtensions.AddStreamingClustersCluster(builder)];
if (clusterMode && !serving)
{
    clusterProblems.Add(
        $"{StreamingClustersOptions.SectionName}:Cluster:Redis (--cluster-redis) needs Urls (--urls): cluster mode serves its named models over HTTP only.");
}
else if (clusterMode && switches.Input is not null)
{
    // As configured sources are (see AddStreamingClustersCluster): a file's resume position is this process's own.
    clusterProblems.Add(
        "--input is not read in cluster mode (a file resumes from a position of this process's own, which no model grain holds): " +
        "post its points to /points (the model default) or /models/{name}/points of any worker.");
}

if (clusterMode)
{
    // A silo that cannot reach Redis never finishes leaving the cluster: the stop is bounded here.
    builder.Services.AddHostedService<StopWatchdog>();
}

if (clusterProblems.Count > 0)
{
    clusterProblems.ForEach(problem => Console.Error.WriteLine($"Configuration refused: {problem}"));
    return ExitCodes.Refused;
}

KeepFirstRejection(builder.Services, outcome);
if (serving)
{
    web!.AddHttpEndpoints();
}

StreamingClustersOptions settings;
try
{
    if (serving)
    {
        await using WebApplication app = web!.Build();
        settings = Prepare(app.Services, outcome);
        app.MapHttpEndpoints();
        await app.RunAsync();
    }
    else
    {
        using IHost host = generic!.Build();
        settings = Prepare(host.Services, outcome);
        await host.RunAsync();
    }
}
catch (OptionsValidationException ex)
{
    foreach (string failure in ex.Failures)
    {
        Console.Error.WriteLine($"Configuration refused: {RefusedSetting.Describe(failure)}");
    }

    return ExitCodes.Refused;
}
catch (InvalidOperationException ex) when (ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
{
    // A value the binder cannot read as the setting's type (a word for a number): its message names
    // the value and the setting, which is what the operator needs, without the trace.
    Console.Error.WriteLine($"Configuration refused: {ex.Message}");
    return ExitCodes.Refused;
}
#pragma warning disable CA1031 // Anything else that stops the start (an address in use, say) is one line on standard error, not a trace.
catch (Exception ex) when (!stackTraces)
#pragma warning restore CA1031
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return ExitCodes.Failed;
}
finally
{
    outcome.Dispose();
}

return outcome.Report(settings, Environment.ExitCode, Console.Error);

// Resolves (and so validates) the settings before the host starts, watches for stop signals, and warns
// about a time column used as a feature.
static StreamingClustersOptions Prepare(IServiceProvider services, RunOutcome outcome)
{
    StreamingClustersOptions options = services.GetRequiredService<IOptions<StreamingClustersOptions>>().Value;
    outcome.Watch(services.GetRequiredService<IHostApplicationLifetime>());
    ILogger logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("StreamingClusters.Worker");
    foreach (string warning in InputCheck.TimeColumns(options))
    {
#pragma warning disable CA1848, CA2254 // Logged once per run.
        logger.LogWarning(warning);
#pragma warning restore CA1848, CA2254
    }

    return options;
}

// The dead-letter sink the library configured, wrapped so that the run's outcome can quote the first rejection.
static void KeepFirstRejection(IServiceCollection services, RunOutcome outcome)
{
    ServiceDescriptor configured = services.Last(d => d.ServiceType == typeof(IDeadLetterSink));
    Func<IServiceProvider, object> create = configured.ImplementationFactory
        ?? (sp => configured.ImplementationInstance ?? ActivatorUtilities.CreateInstance(sp, configured.ImplementationType!));
    services.Remove(configured);
    services.AddSingleton<IDeadLetterSink>(sp => outcome.Rejections = new RejectionSample((IDeadLetterSink)create(sp)));
}

static WebApplicationBuilder CreateWebBuilder(string contentRoot, CommandLineSwitches switches)
{
    WebApplicationBuilder web = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = contentRoot, Args = [] });
    Layer(web.Configuration, switches);
    return web;
}

static HostApplicationBuilder CreateGenericBuilder(string contentRoot, CommandLineSwitches switches)
{
    // A run over an --input does not watch appsettings.json for changes: the watcher walks every folder
    // under the content root (in a checkout, the repository with its build output: some 280 folders)
    // before the first record is read, for a change that would only reach the log levels.
    // DOTNET_hostBuilder__reloadConfigOnChange=true still turns it on.
    HostApplicationBuilder generic = WorkerHostDefaults.CreateBuilder(contentRoot, reloadOnChange: switches.Input is null);
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
