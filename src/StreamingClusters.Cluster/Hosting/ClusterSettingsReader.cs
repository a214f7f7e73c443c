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
        settings.ProbeTimeout = Time(section, nameof(ClusterSettings.ProbeTimeout), settings.ProbeTimeout, problems);
        settings.CentroidRefreshInterval = Time(section, nameof(ClusterSettings.CentroidRefreshInterval), settings.CentroidRefreshInterval, problems);
        settings.SendDeadline = Time(section, nameof(ClusterSettings.SendDeadline), settings.SendDeadline, problems);
        return settings;
    }

    private static TimeSpan Time(IConfigurationSection section, string key, TimeSpan fallback, List<string> problems)
    {
        string? text = section[key];
        if (text is null)
        {
            return fallback;
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan value))
        {
            return value;
        }

        problems.Add($"{ClusterSettings.SectionName}:{key} must be a time span such as 00:00:01, got '{text}'.");
        return fallback;
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
