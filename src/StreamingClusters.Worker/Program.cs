using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamingClusters.Options;
using StreamingClusters.Worker;

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
HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    ContentRootPath = contentRoot,
    Args = [],
});
if (switches.ConfigFile is { } profile)
{
    if (!File.Exists(profile))
    {
        Console.Error.WriteLine($"--config '{profile}' does not exist.");
        return 2;
    }

    builder.Configuration.AddJsonFile(Path.GetFullPath(profile), optional: false, reloadOnChange: false);
}

builder.Configuration.AddInMemoryCollection(switches.Settings);
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss ";
});
// Registered first so that it stops last, after the pipeline has drained and published its final snapshot.
builder.Services.AddSingleton(switches);
builder.Services.AddHostedService<ProgressReporter>();
builder.Services.AddStreamingClusters(
    builder.Configuration.GetSection(StreamingClustersOptions.SectionName),
    options => WorkerSettings.Apply(options, switches));

using IHost host = builder.Build();
try
{
    await host.RunAsync();
}
catch (OptionsValidationException ex)
{
    foreach (string failure in ex.Failures)
    {
        Console.Error.WriteLine($"Configuration refused: {failure}");
    }

    return 2;
}

return Environment.ExitCode;
