using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace StreamingClusters.Options;

/// <summary>
/// Lets time settings be written in the one <see cref="Duration"/> syntax while the options keep
/// <see cref="TimeSpan"/> properties. The configuration binder (source-generated) reads a time span
/// only as <c>00:00:30</c> and honours no converter, so the binder is handed a view of the
/// configuration in which the values of the duration keys are rewritten to that form; every other
/// value, and any value that is not a duration, passes unchanged.
/// </summary>
internal static class DurationConfiguration
{
    /// <summary>The library's duration keys of the <c>StreamingClusters</c> section; <c>*</c> stands for any one segment. A package that adds settings (MQTT) passes its own as well.</summary>
    public static readonly string[] StreamingClustersKeys =
    [
        "BatchTimeout", "Checkpoint:Interval", "Seeding:IdleTimeout", "Sources:*:PollInterval",
    ];

    /// <summary>The duration keys of the host's <c>HostOptions</c> section.</summary>
    public static readonly string[] HostOptionsKeys = ["ShutdownTimeout", "StartupTimeout"];

    /// <summary>Returns a view of <paramref name="configuration"/> whose duration keys read as time spans.</summary>
    /// <param name="configuration">The configuration (usually a section) to bind.</param>
    /// <param name="keys">The duration keys, relative to <paramref name="configuration"/>.</param>
    /// <returns>The view; it reads <paramref name="configuration"/> live.</returns>
    public static IConfiguration Normalise(IConfiguration configuration, params string[] keys)
    {
        // A section keeps its path in the view, so that the binder's messages name the whole key.
        string? path = (configuration as IConfigurationSection)?.Path;
        IConfigurationRoot view = new ConfigurationBuilder().Add(new Source(configuration, path, keys)).Build();
        return path is null ? view : view.GetSection(path);
    }

    /// <summary>Lists every duration key whose value is not a duration, each message naming the setting.</summary>
    /// <param name="section">The section.</param>
    /// <param name="keys">The duration keys, relative to <paramref name="section"/>.</param>
    /// <returns>The problems; none when every value is a duration.</returns>
    public static IEnumerable<string> Problems(IConfigurationSection section, params string[] keys)
    {
        foreach (string key in keys)
        {
            foreach (IConfigurationSection setting in Expand(section, key.Split(':')))
            {
                if (setting.Value is { } value && !Duration.TryParse(value, out _))
                {
                    yield return string.Create(CultureInfo.InvariantCulture, $"{setting.Path} '{value}' is not a duration: give one like {Duration.Forms}.");
                }
            }
        }
    }

    private static IEnumerable<IConfigurationSection> Expand(IConfiguration at, ReadOnlyMemory<string> segments)
    {
        string head = segments.Span[0];
        IEnumerable<IConfigurationSection> next = head == "*" ? at.GetChildren() : [at.GetSection(head)];
        foreach (IConfigurationSection child in next)
        {
            if (segments.Length == 1)
            {
                yield return child;
            }
            else
            {
                foreach (IConfigurationSection leaf in Expand(child, segments[1..]))
                {
                    yield return leaf;
                }
            }
        }
    }

    private static bool Matches(string key, string[][] patterns)
    {
        string[] segments = key.Split(':');
        return patterns.Any(p => p.Length == segments.Length
            && p.Zip(segments).All(pair => pair.First == "*" || string.Equals(pair.First, pair.Second, StringComparison.OrdinalIgnoreCase)));
    }

    private sealed class Source(IConfiguration configuration, string? path, string[] keys) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(configuration, path, [.. keys.Select(k => k.Split(':'))]);
    }

    /// <summary>
    /// Reads the wrapped configuration live, as the framework's chained provider does, under its path
    /// (<paramref name="path"/>, when it is a section), rewriting durations.
    /// </summary>
    private sealed class Provider(IConfiguration configuration, string? path, string[][] patterns) : IConfigurationProvider
    {
        public bool TryGet(string key, out string? value)
        {
            value = null;
            if (Relative(key) is not { } relative)
            {
                return false;
            }

            value = relative.Length == 0 ? (configuration as IConfigurationSection)?.Value : configuration[relative];
            if (value is not null && Matches(relative, patterns) && Duration.TryParse(value, out TimeSpan duration))
            {
                value = duration.ToString("c", CultureInfo.InvariantCulture);
            }

            return !string.IsNullOrEmpty(value);
        }

        public void Set(string key, string? value)
        {
            if (Relative(key) is { } relative)
            {
                configuration[relative] = value;
            }
        }

        public IChangeToken GetReloadToken() => configuration.GetReloadToken();

        public void Load()
        {
        }

        public IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
        {
            var keys = new List<string>(earlierKeys);
            if (path is not null && (parentPath is null || path.StartsWith(parentPath + ":", StringComparison.OrdinalIgnoreCase)))
            {
                // Above the section: only the way down to it.
                string below = parentPath is null ? path : path[(parentPath.Length + 1)..];
                keys.Add(below.Split(':')[0]);
            }
            else if ((parentPath is null ? string.Empty : Relative(parentPath)) is { } relative)
            {
                IConfiguration section = relative.Length == 0 ? configuration : configuration.GetSection(relative);
                keys.AddRange(section.GetChildren().Select(c => c.Key));
            }

            keys.Sort(ConfigurationKeyComparer.Instance);
            return keys;
        }

        /// <summary>The key relative to the wrapped configuration: "" for the section itself, null outside it.</summary>
        private string? Relative(string key) =>
            path is null ? key
            : string.Equals(key, path, StringComparison.OrdinalIgnoreCase) ? string.Empty
            : key.StartsWith(path + ":", StringComparison.OrdinalIgnoreCase) ? key[(path.Length + 1)..]
            : null;
    }
}
