using System.Globalization;
using Microsoft.Extensions.Configuration;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.MStep;
using StreamingClusters.Options;
using StreamingClusters.Models;

namespace StreamingClusters.Cluster.Catalog;

/// <summary>
/// A named model's settings (its own, layered over the top-level <c>StreamingClusters</c> ones) as the
/// definition its grain keeps. Cluster mode runs k-means (on the columns as they come or standardised,
/// seeded on the first points or from configured centroids) or a Gaussian mixture, of a configured d: a
/// setting it cannot honour is refused with a message that names it.
/// </summary>
internal static class ClusterModelDefinitions
{
    private const string InitialCentroidsKey = "InitialCentroids";

    /// <summary>The settings of a model's own that cluster mode honours.</summary>
    private static readonly HashSet<string> Taken = new(StringComparer.OrdinalIgnoreCase)
    {
        "Clusters", "Dimensions", "HalfLife", "Scaling", "Model", "Seed", "ReseedRatio", "Repair", "ShardSize",
        "Seeding:BufferSize", "Seeding:Candidates", "Seeding:RefineIterations", "Seeding:Starts", "Seeding:Breaths",
        "MaxRecordLength", "MaxAbsoluteValue",
        "Mixture:VarianceFloor", "Mixture:SeedingStarts", "Mixture:SeedingIterations", "Mixture:SeedingTolerance",
    };

    /// <summary>Maps the settings, or lists what is wrong.</summary>
    /// <param name="top">The top-level <c>StreamingClusters</c> section.</param>
    /// <param name="settings">The model's own settings.</param>
    /// <param name="where">The section the settings are named under in messages.</param>
    /// <param name="problems">What is wrong, each naming its setting.</param>
    /// <returns>The definition, or null when there are problems.</returns>
    public static ClusterModelDefinition? Create(IConfiguration top, ModelOverrides settings, string where, out IReadOnlyList<string> problems)
    {
        var found = new List<string>(settings.Problems(where));
        problems = found;
        string? Value(string key) => settings.Values.TryGetValue(key, out string? own) ? own : top[key];
        string Name(string key) => settings.Values.ContainsKey(key) ? $"{where}:{key}" : $"{StreamingClustersOptions.SectionName}:{key}";

        var defaults = new StreamingClustersOptions();
        int Int(string key, int fallback, int least)
        {
            string? text = Value(key);
            if (text is null)
            {
                return fallback;
            }

            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < least)
            {
                found.Add($"{Name(key)} must be a whole number of at least {least}, got '{text}'.");
            }

            return value;
        }

        int clusters = Int("Clusters", defaults.Clusters, 1);
        int dimensions = Int("Dimensions", 0, 0);
        if (dimensions == 0 && !found.Any(p => p.Contains(":Dimensions ", StringComparison.Ordinal)))
        {
            found.Add($"{Name("Dimensions")} must be set in cluster mode (every silo E-steps against the same d from the first point on).");
        }

        int bufferSize = Int("Seeding:BufferSize", defaults.Seeding.BufferSize, 1);
        int candidates = Int("Seeding:Candidates", defaults.Seeding.Candidates, 0);
        int refine = Int("Seeding:RefineIterations", defaults.Seeding.RefineIterations, 0);
        int starts = Int("Seeding:Starts", defaults.Seeding.Starts, 1);
        int breaths = Int("Seeding:Breaths", defaults.Seeding.Breaths, 0);
        int shardSize = Int("ShardSize", defaults.ShardSize, 1);
        int? maxRecordLength = settings.Values.ContainsKey("MaxRecordLength") ? Int("MaxRecordLength", defaults.MaxRecordLength, 1) : null;
        double? maxAbsoluteValue = null;
        if (settings.Values.TryGetValue("MaxAbsoluteValue", out string? limitText))
        {
            if (double.TryParse(limitText, NumberStyles.Float, CultureInfo.InvariantCulture, out double limit) && limit > 0)
            {
                maxAbsoluteValue = limit;
            }
            else
            {
                found.Add($"{Name("MaxAbsoluteValue")} must be a positive number, got '{limitText}'.");
            }
        }

        HalfLife halfLife = HalfLife.None;
        if (Value("HalfLife") is { } halfLifeText && !HalfLife.TryParse(halfLifeText, out halfLife))
        {
            found.Add($"{Name("HalfLife")} must be a half-life such as 20000points, 50batches, 10m or none, got '{halfLifeText}'.");
        }

        ulong seed = 0;
        if (Value("Seed") is { } seedText && !ulong.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
        {
            found.Add($"{Name("Seed")} must be a whole number of at least 0, got '{seedText}'.");
        }

        double reseedRatio = defaults.ReseedRatio;
        if (Value("ReseedRatio") is { } ratioText && !(double.TryParse(ratioText, NumberStyles.Float, CultureInfo.InvariantCulture, out reseedRatio) && reseedRatio is >= 0 and < 1))
        {
            found.Add($"{Name("ReseedRatio")} must be in [0, 1), got '{ratioText}'.");
        }

        bool repair = defaults.Repair;
        if (Value("Repair") is { } repairText && !bool.TryParse(repairText, out repair))
        {
            found.Add($"{Name("Repair")} must be true or false, got '{repairText}'.");
        }

        ModelKind model = ModelKind.KMeans;
        if (Value("Model") is { } modelText && !ModelKinds.TryParse(modelText, out model))
        {
            found.Add($"{Name("Model")} must be KMeans or GaussianMixture, got '{modelText}'.");
        }

        var mixtureDefaults = new MixtureModelOptions();
        double Double(string key, double fallback, double least, double most)
        {
            string? text = Value(key);
            if (text is null)
            {
                return fallback;
            }

            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value >= least && value <= most))
            {
                found.Add($"{Name(key)} must be a number in [{least.ToString(CultureInfo.InvariantCulture)}, {most.ToString(CultureInfo.InvariantCulture)}], got '{text}'.");
            }

            return value;
        }

        double varianceFloor = Double("Mixture:VarianceFloor", mixtureDefaults.VarianceFloor, 1e-12, 0.5);
        int mixtureStarts = Int("Mixture:SeedingStarts", mixtureDefaults.SeedingStarts, 1);
        int mixtureIterations = Int("Mixture:SeedingIterations", mixtureDefaults.SeedingIterations, 0);
        double mixtureTolerance = Double("Mixture:SeedingTolerance", mixtureDefaults.SeedingTolerance, 0, 1);

        ScalingMode scaling = ScalingMode.None;
        if (Value("Scaling") is { } scalingText && !ScalingModes.TryParse(scalingText, out scaling))
        {
            found.Add($"{Name("Scaling")} must be none or standardize, got '{scalingText}'.");
        }

        ConfiguredCentroids? initial = InitialCentroids(top, settings, where, clusters, Name("Clusters"), dimensions, found);
        if (model == ModelKind.GaussianMixture && scaling == ScalingMode.Standardize)
        {
            found.Add($"{Name("Scaling")} 'standardize' does not apply to {Name("Model")} 'GaussianMixture': its per-column variances learn each column's scale, and its log-likelihoods are in the input's units; give 'none'.");
        }

        if (model == ModelKind.GaussianMixture && initial is not null)
        {
            found.Add($"{InitialCentroidsName(settings, where)} gives centroids only, but {Name("Model")} 'GaussianMixture' also needs variances and priors: it seeds all three from the seeding buffer; remove one of the two.");
        }

        if (initial is not null && scaling == ScalingMode.Standardize)
        {
            found.Add($"{Name("Scaling")} 'standardize' learns each column's mean and spread from the seeding buffer, which {InitialCentroidsName(settings, where)} skips: give one or the other.");
        }

        // Every other setting a model may have of its own belongs to a single process's pipeline
        // (batching, channels, parallelism, the seeding's idle time-out), which no grain has.
        found.AddRange(settings.Values.Keys
            .Where(k => !Taken.Contains(k) && !k.StartsWith("InitialCentroids", StringComparison.OrdinalIgnoreCase) && ModelOverrides.Keys.Contains(k.Split(':', 2)[0], StringComparer.OrdinalIgnoreCase))
            .Select(k => $"{where}:{k} is not taken in cluster mode."));
        if (found.Count > 0)
        {
            return null;
        }

        var definition = new ClusterModelDefinition
        {
            Clusters = clusters,
            Dimensions = dimensions,
            Seed = seed,
            SeedingBufferSize = bufferSize,
            HalfLifeValue = halfLife.Value,
            HalfLifeUnit = halfLife.Unit,
            ReseedRatio = reseedRatio,
            Repair = repair,
            SeedingCandidates = candidates,
            RefineIterations = refine,
            ShardSize = shardSize,
            SeedingStarts = starts,
            SeedingBreaths = breaths,
            MaxAbsoluteValue = maxAbsoluteValue,
            MaxRecordLength = maxRecordLength,
            Scaling = scaling,
            InitialCentroids = initial,
            Model = model,
        };
        if (model == ModelKind.GaussianMixture)
        {
            // Only a mixture's definition carries its own choices (a k-means model's is the same whatever they are).
            definition = definition with
            {
                MixtureVarianceFloor = varianceFloor,
                MixtureSeedingStarts = mixtureStarts,
                MixtureSeedingIterations = mixtureIterations,
                MixtureSeedingTolerance = mixtureTolerance,
            };
        }

        try
        {
            definition.Validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            found.Add($"{where}: {ex.Message}");
            return null;
        }

        return definition;
    }

    private static bool IsInitialCentroids(string key) =>
        key.Equals(InitialCentroidsKey, StringComparison.OrdinalIgnoreCase) || key.StartsWith(InitialCentroidsKey + ":", StringComparison.OrdinalIgnoreCase);

    private static string InitialCentroidsName(ModelOverrides settings, string where) =>
        settings.Values.Keys.Any(IsInitialCentroids) ? $"{where}:{InitialCentroidsKey}" : $"{StreamingClustersOptions.SectionName}:{InitialCentroidsKey}";

    /// <summary>
    /// Reads <c>InitialCentroids:{centroid}:{column}</c>: the model's own when it gives any (an array it
    /// gives replaces the top-level one whole, as in a single process), else the top-level ones; null when neither.
    /// </summary>
    private static ConfiguredCentroids? InitialCentroids(IConfiguration top, ModelOverrides settings, string where, int clusters, string clustersName, int dimensions, List<string> found)
    {
        bool own = settings.Values.Keys.Any(IsInitialCentroids);
        string name = InitialCentroidsName(settings, where);
        IEnumerable<KeyValuePair<string, string?>> entries = own
            ? settings.Values.Where(v => IsInitialCentroids(v.Key)).Select(v => new KeyValuePair<string, string?>(v.Key.Length > InitialCentroidsKey.Length ? v.Key[(InitialCentroidsKey.Length + 1)..] : "", v.Value))
            : top.GetSection(InitialCentroidsKey).AsEnumerable(makePathsRelative: true);
        var rows = new SortedDictionary<int, SortedDictionary<int, double>>();
        int before = found.Count;
        foreach ((string key, string? text) in entries)
        {
            if (text is null && key.Length == 0)
            {
                continue;
            }

            string[] parts = key.Split(':');
            if (text is null || parts.Length != 2
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int c)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int j))
            {
                if (text is not null || parts.Length > 2)
                {
                    found.Add($"{name} must be {clusters} centroids of {dimensions} numbers each ({name}:0:0, {name}:0:1, …), got '{(key.Length == 0 ? name : $"{name}:{key}")}'.");
                }

                continue;
            }

            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            {
                found.Add($"{name}:{c} has a value that is not a finite number, got '{text}'.");
                continue;
            }

            if (!rows.TryGetValue(c, out SortedDictionary<int, double>? row))
            {
                rows[c] = row = [];
            }

            row[j] = value;
        }

        // A shape refused already (k or d) is named once, not again in every centroid.
        if (rows.Count == 0 || found.Count > before || clusters < 1 || dimensions < 1)
        {
            return null;
        }

        if (rows.Count != clusters || rows.Keys.Last() != clusters - 1)
        {
            found.Add($"{name} has {rows.Count} centroids but {clustersName} is {clusters}.");
            return null;
        }

        foreach ((int c, SortedDictionary<int, double> row) in rows)
        {
            if (row.Count != dimensions || row.Keys.Last() != dimensions - 1)
            {
                found.Add($"{name}:{c} must have {dimensions} values (Dimensions).");
            }
        }

        return found.Count > before ? null : new ConfiguredCentroids { Values = [.. rows.Values.SelectMany(r => r.Values)] };
    }

    /// <summary>
    /// Maps the top-level settings to the definition of the model <see cref="Models.ModelName.Default"/>:
    /// the keys a named model may have of its own are read as <c>default</c>'s own and refused as a named
    /// model's are, each named <c>StreamingClusters:{key}</c>; the keys that only shape a single process's
    /// pipeline (<see cref="PerProcess"/>) are left aside, since no pipeline of this process runs
    /// <c>default</c> in cluster mode. The record limits are always in the definition (their defaults
    /// when unset), so that every worker checks records against the same ones.
    /// </summary>
    /// <param name="top">The top-level <c>StreamingClusters</c> section.</param>
    /// <param name="problems">What is wrong, each naming its setting.</param>
    /// <returns>The definition, or null when there are problems.</returns>
    public static ClusterModelDefinition? ForDefault(IConfiguration top, out IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(top);
        var own = top.AsEnumerable(makePathsRelative: true)
            .Where(p => p.Value is not null)
            .Where(p => ModelOverrides.Keys.Contains(p.Key.Split(':', 2)[0], StringComparer.OrdinalIgnoreCase) && !PerProcess.Contains(p.Key))
            .ToList();
        ClusterModelDefinition? definition = Create(top, new ModelOverrides(own), StreamingClustersOptions.SectionName, out problems);
        var defaults = new StreamingClustersOptions();
        return definition is null ? null : definition with
        {
            MaxAbsoluteValue = definition.MaxAbsoluteValue ?? defaults.MaxAbsoluteValue,
            MaxRecordLength = definition.MaxRecordLength ?? defaults.MaxRecordLength,
        };
    }

    /// <summary>
    /// Lists the settings in which a definition differs from the one a model has in the cluster, each
    /// named as the section <paramref name="where"/> names it, with both values.
    /// </summary>
    /// <param name="mine">The definition this process made.</param>
    /// <param name="existing">The model's definition in the cluster.</param>
    /// <param name="where">The section the settings are read from (<c>StreamingClusters</c> for <c>default</c>).</param>
    /// <param name="model">The model's name.</param>
    /// <returns>One message per setting that differs.</returns>
    public static IReadOnlyList<string> Differences(ClusterModelDefinition mine, ClusterModelDefinition existing, string where, string model)
    {
        ArgumentNullException.ThrowIfNull(mine);
        ArgumentNullException.ThrowIfNull(existing);
        var compared = new (string Key, object? Mine, object? Existing)[]
        {
            ("Clusters", mine.Clusters, existing.Clusters),
            ("Dimensions", mine.Dimensions, existing.Dimensions),
            ("HalfLife", mine.HalfLife, existing.HalfLife),
            ("Scaling", mine.Scaling, existing.Scaling),
            ("Model", mine.Model, existing.Model),
            (InitialCentroidsKey, mine.InitialCentroids, existing.InitialCentroids),
            ("Seed", mine.Seed, existing.Seed),
            ("ReseedRatio", mine.ReseedRatio, existing.ReseedRatio),
            ("Repair", mine.Repair, existing.Repair),
            ("ShardSize", mine.ShardSize, existing.ShardSize),
            ("Seeding:BufferSize", mine.SeedingBufferSize, existing.SeedingBufferSize),
            ("Seeding:Candidates", mine.SeedingCandidates, existing.SeedingCandidates),
            ("Seeding:RefineIterations", mine.RefineIterations, existing.RefineIterations),
            ("Seeding:Starts", mine.SeedingStarts, existing.SeedingStarts),
            ("Seeding:Breaths", mine.SeedingBreaths, existing.SeedingBreaths),
            ("Mixture:VarianceFloor", mine.MixtureVarianceFloor, existing.MixtureVarianceFloor),
            ("Mixture:SeedingStarts", mine.MixtureSeedingStarts, existing.MixtureSeedingStarts),
            ("Mixture:SeedingIterations", mine.MixtureSeedingIterations, existing.MixtureSeedingIterations),
            ("Mixture:SeedingTolerance", mine.MixtureSeedingTolerance, existing.MixtureSeedingTolerance),
            ("MaxRecordLength", mine.MaxRecordLength, existing.MaxRecordLength),
            ("MaxAbsoluteValue", mine.MaxAbsoluteValue, existing.MaxAbsoluteValue),
        };
        var found = compared
            .Where(c => !Equals(c.Mine, c.Existing))
            .Select(c => string.Create(
                CultureInfo.InvariantCulture,
                $"{where}:{c.Key} is {Text(c.Mine)} here, but the model '{model}' in the cluster has {Text(c.Existing)}: a model's settings do not change once it is made, so every worker must give the same."))
            .ToList();
        if (found.Count == 0 && !mine.SameSettings(existing))
        {
            // A field no setting names (the sample size of a batch): the definitions still differ.
            found.Add($"{where}: the model '{model}' in the cluster is defined as {existing}, not {mine}.");
        }

        return found;

        static string Text(object? value) => value switch
        {
            null => "unset",
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "unset",
        };
    }

    /// <summary>
    /// The top-level settings that shape only a single process's pipeline (its batching, channel and
    /// threads), which the model <c>default</c> does not use in cluster mode; the repository's
    /// <c>appsettings.json</c> sets them, so they are left aside rather than refused.
    /// </summary>
    private static readonly HashSet<string> PerProcess = new(StringComparer.OrdinalIgnoreCase)
    {
        "BatchSize", "BatchTimeout", "Parallelism", "BlockSize", "ChannelCapacity",
    };
}
