using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace StreamingClusters.Cluster.Hosting;

/// <summary>Reads <see cref="ClusterSettings"/> from configuration, each bad value named.</summary>
internal static class ClusterSettingsReader
{
    /// <summary>Reads the section.</summary>
    /// <param name="configuration">The whole configuration.</param>
    /// <param name="problems">Values that do not parse, each naming its setting.</param>
    /// <returns>The settings (defaults where a value is missing or bad).</returns>
    public static ClusterSettings Read(IConfiguration configuration, List<string> problems)
    {
        IConfigurationSection section = configuration.GetSection(ClusterSettings.SectionName);
        var settings = new ClusterSettings
        {
            Redis = section[nameof(ClusterSettings.Redis)],
            AdvertisedAddress = section[nameof(ClusterSettings.AdvertisedAddress)] ?? "127.0.0.1",
            ClusterId = section[nameof(ClusterSettings.ClusterId)] ?? "streaming-clusters",
        };
        settings.SiloPort = Int(section, nameof(ClusterSettings.SiloPort), settings.SiloPort, problems);
        settings.GatewayPort = Int(section, nameof(ClusterSettings.GatewayPort), settings.GatewayPort, problems);
        settings.MissedProbesLimit = Int(section, nameof(ClusterSettings.MissedProbesLimit), settings.MissedProbesLimit, problems);
        if (section[nameof(ClusterSettings.ProbeTimeout)] is { } probe)
        {
            if (TimeSpan.TryParse(probe, CultureInfo.InvariantCulture, out TimeSpan timeout))
            {
                settings.ProbeTimeout = timeout;
            }
            else
            {
                problems.Add($"{ClusterSettings.SectionName}:{nameof(ClusterSettings.ProbeTimeout)} must be a time span such as 00:00:01, got '{probe}'.");
            }
        }

        return settings;
    }

    private static int Int(IConfigurationSection section, string key, int fallback, List<string> problems)
    {
        string? text = section[key];
        if (text is null)
        {
            return fallback;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
        {
            return value;
        }

        problems.Add($"{ClusterSettings.SectionName}:{key} must be a whole number, got '{text}'.");
        return fallback;
    }
}
