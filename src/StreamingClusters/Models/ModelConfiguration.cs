using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using StreamingClusters.Checkpoints;
using StreamingClusters.Options;

namespace StreamingClusters.Models;

/// <summary>
/// Makes a named model's effective settings: its own settings layered over the top-level
/// <c>StreamingClusters</c> section, bound and validated as at start-up. The service's settings
/// (sources, paths, the models themselves) are not a model's: its checkpoint goes to
/// <see cref="ModelDirectory"/>, its dead letters to the service's sink, tagged with its name.
/// </summary>
public static class ModelConfiguration
{
    /// <summary>The file beside a named model's checkpoint that holds the settings it was created with.</summary>
    public const string SettingsFileName = "model.json";

    /// <summary>Gets the folder of a named model's checkpoint and settings, or null when checkpoints are off.</summary>
    /// <param name="top">The top-level settings.</param>
    /// <param name="name">The model's name.</param>
    /// <returns><c>{the checkpoint's folder}/{name}</c>.</returns>
    public static string? ModelDirectory(StreamingClustersOptions top, string name) =>
        string.IsNullOrWhiteSpace(top.Checkpoint.Path) ? null : Path.Combine(CheckpointDirectory(top)!, name);

    /// <summary>Gets the folder of the top-level checkpoint, under which named models keep theirs, or null when checkpoints are off.</summary>
    /// <param name="top">The top-level settings.</param>
    /// <returns>The folder.</returns>
    public static string? CheckpointDirectory(StreamingClustersOptions top) =>
        string.IsNullOrWhiteSpace(top.Checkpoint.Path) ? null : Path.GetDirectoryName(Path.GetFullPath(top.Checkpoint.Path));

    /// <summary>Makes and validates a named model's settings.</summary>
    /// <param name="section">The top-level <c>StreamingClusters</c> section.</param>
    /// <param name="top">The top-level settings, validated.</param>
    /// <param name="name">The model's name.</param>
    /// <param name="settings">The model's own settings.</param>
    /// <param name="where">Where its settings come from, to name them in messages (<c>StreamingClusters:Models:plant-7</c>).</param>
    /// <param name="problems">Each setting refused, named, when the result is null.</param>
    /// <returns>The settings, or null when refused.</returns>
    public static StreamingClustersOptions? Create(
        IConfiguration section,
        StreamingClustersOptions top,
        string name,
        ModelOverrides settings,
        string where,
        out IReadOnlyList<string> problems)
    {
        var found = new List<string>(settings.Problems(where));
        problems = found;
        if (found.Count > 0)
        {
            return null;
        }

        var given = new HashSet<string>(settings.Values.Keys.Select(Head), StringComparer.OrdinalIgnoreCase);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach ((string key, string? value) in section.AsEnumerable(makePathsRelative: true))
        {
            string head = Head(key);
            // Only a model's settings carry over; an array the model gives is replaced whole, not merged item by item.
            if (value is not null
                && ModelOverrides.Keys.Contains(head, StringComparer.OrdinalIgnoreCase)
                && !(given.Contains(head) && head.Equals(nameof(StreamingClustersOptions.InitialCentroids), StringComparison.OrdinalIgnoreCase)))
            {
                values[$"{StreamingClustersOptions.SectionName}:{key}"] = value;
            }
        }

        foreach ((string key, string? value) in settings.Values)
        {
            values[$"{StreamingClustersOptions.SectionName}:{key}"] = value;
        }

        IConfigurationSection layered = new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection(StreamingClustersOptions.SectionName);
        found.AddRange(DurationConfiguration.Problems(layered, DurationConfiguration.StreamingClustersKeys));
        if (found.Count > 0)
        {
            return null;
        }

        var options = new StreamingClustersOptions();
        try
        {
            DurationConfiguration.Normalise(layered, DurationConfiguration.StreamingClustersKeys).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            found.Add(ex.Message);
            return null;
        }

        options.Sources = [];
        options.StopWhenSourcesEnd = false;
        options.SnapshotPath = null;
        options.DeadLetterPath = null;
        options.Checkpoint = new CheckpointOptions { Interval = top.Checkpoint.Interval, StartFresh = top.Checkpoint.StartFresh };
        // Validated under the default name, so that the messages are those of start-up.
        ValidateOptionsResult result = new StreamingClustersOptionsValidator().Validate(Microsoft.Extensions.Options.Options.DefaultName, options);
        if (result.Failed)
        {
            found.AddRange(result.Failures);
            return null;
        }

        // Set after the validation: the model's folder is made when the model is.
        if (ModelDirectory(top, name) is { } directory)
        {
            options.Checkpoint.Path = Path.Combine(directory, Path.GetFileName(top.Checkpoint.Path!));
        }

        return options;
    }

    private static string Head(string key) => key.Split(':', 2)[0];
}
