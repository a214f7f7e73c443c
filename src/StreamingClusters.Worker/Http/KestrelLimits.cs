using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// Binds the section <c>Kestrel:Limits</c> to Kestrel's limits (MaxConcurrentConnections,
/// KeepAliveTimeout, MaxRequestBufferSize, MinRequestBodyDataRate:BytesPerSecond and :GracePeriod, ...).
/// Kestrel itself reads only its endpoints and
/// certificates from configuration; without this, bounding connections would take a rebuild.
/// </summary>
internal static class KestrelLimits
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Kestrel:Limits";

    /// <summary>Binds <paramref name="section"/> to <paramref name="limits"/>, refusing what Kestrel refuses.</summary>
    /// <param name="section">The section <c>Kestrel:Limits</c>.</param>
    /// <param name="limits">Kestrel's limits.</param>
    /// <exception cref="OptionsValidationException">A setting is unknown or has a value Kestrel refuses; each failure names its setting.</exception>
    public static void Bind(IConfigurationSection section, KestrelServerLimits limits)
    {
        List<string> failures = [];
        foreach (IConfigurationSection setting in section.GetChildren())
        {
            if (setting.Key.Equals(nameof(KestrelServerLimits.MinRequestBodyDataRate), StringComparison.OrdinalIgnoreCase)
                || setting.Key.Equals(nameof(KestrelServerLimits.MinResponseDataRate), StringComparison.OrdinalIgnoreCase))
            {
                if (DataRate(setting, failures) is { } rate)
                {
                    if (setting.Key.Equals(nameof(KestrelServerLimits.MinRequestBodyDataRate), StringComparison.OrdinalIgnoreCase))
                    {
                        limits.MinRequestBodyDataRate = rate;
                    }
                    else
                    {
                        limits.MinResponseDataRate = rate;
                    }
                }

                continue;
            }

            // One setting at a time, so that a refusal names it: the binder's own errors do not always.
            IConfigurationRoot single = new ConfigurationBuilder()
                .AddInMemoryCollection(setting.AsEnumerable().Where(p => p.Value is not null))
                .Build();
            try
            {
                single.GetSection(section.Path).Bind(limits, o => o.ErrorOnUnknownConfiguration = true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or System.Reflection.TargetInvocationException)
            {
                failures.Add($"{setting.Path} is refused: {ex.GetBaseException().Message}");
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(KestrelServerOptions), failures);
        }
    }

    /// <summary>Reads a MinDataRate, which the binder cannot make: BytesPerSecond (default 240) and GracePeriod (default 00:00:05).</summary>
    private static MinDataRate? DataRate(IConfigurationSection setting, List<string> failures)
    {
        try
        {
            return new MinDataRate(setting.GetValue("BytesPerSecond", 240.0), setting.GetValue("GracePeriod", TimeSpan.FromSeconds(5)));
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            failures.Add($"{setting.Path} is refused: {ex.GetBaseException().Message}");
            return null;
        }
    }
}
