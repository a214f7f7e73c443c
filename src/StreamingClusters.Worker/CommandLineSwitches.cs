using System.Globalization;
using StreamingClusters.MStep;
using StreamingClusters.Options;

namespace StreamingClusters.Worker;

/// <summary>
/// The worker's short switches, each mapped onto a setting of the <c>StreamingClusters</c> section.
/// Anything else on the command line is refused with a message that names it.
/// </summary>
internal sealed class CommandLineSwitches
{
    private const string Section = "StreamingClusters";

    /// <summary>Switch, setting, value name and description, in the order <c>--help</c> lists them.</summary>
    private static readonly (string Switch, string? Setting, string Value, string Help)[] Table =
    [
        ("--input", null, "PATH", "read points from PATH (a CSV or JSON-lines file, or - for standard input) instead of the configured sources"),
        ("--format", null, "csv|jsonl", "the format of --input (default: jsonl for .jsonl/.ndjson files and files whose first line is a JSON object, else csv; standard input is csv unless told)"),
        ("--columns", null, "A,B,...", "the CSV columns (names or zero-based indexes) or JSON fields that make a point"),
        ("--no-header", null, "", "the CSV input has no header line (default: detected)"),
        ("--follow", null, "", "keep reading lines appended to --input after its end"),
        ("--clusters", $"{Section}:Clusters", "K", "number of clusters"),
        ("--dimensions", $"{Section}:Dimensions", "D", "dimension of the points (default: from the first valid record)"),
        ("--batch-size", $"{Section}:BatchSize", "B", "points per mini-batch"),
        ("--batch-timeout", $"{Section}:BatchTimeout", "TIME", "longest a started batch waits (e.g. 500ms, 1s, 00:00:01)"),
        ("--half-life", $"{Section}:HalfLife", "H", "forgetting: 20000points, 50batches, 10m, or none"),
        ("--scaling", $"{Section}:Scaling", "none|standardize", "put columns in comparable units: standardize scales each to mean 0, std 1 (learnt from the seeding buffer, then fixed); centroids stay in the input's units"),
        ("--model", $"{Section}:Model", "kmeans|gmm", "the model: kmeans (nearest centroid) or gmm (a Gaussian mixture with diagonal covariances and learnt priors; scores are log-likelihoods)"),
        ("--repair", $"{Section}:Repair", "on|off", "repair local optima while running: merge the two clusters that cost least and split off the one that gains most (default on); off to measure its effect"),
        ("--seed", $"{Section}:Seed", "N", "random seed (seeding and reseeding)"),
        ("--parallelism", $"{Section}:Parallelism", "N", "E-step threads (0 = every core)"),
        ("--snapshot-out", $"{Section}:SnapshotPath", "PATH", "write the final snapshot as JSON to PATH"),
        ("--dead-letter", $"{Section}:DeadLetterPath", "PATH", "write rejected records as JSON lines to PATH"),
        ("--checkpoint", $"{Section}:Checkpoint:Path", "PATH", "save the model's state to PATH and resume from it after a restart"),
        ("--checkpoint-interval", $"{Section}:Checkpoint:Interval", "TIME", "least time between checkpoints (e.g. 30s, 10m, 00:00:30; 0 = every batch)"),
        ("--fresh", $"{Section}:Checkpoint:StartFresh", "", "ignore an existing checkpoint and start fresh (it is overwritten)"),
        ("--urls", "Urls", "URLS", "serve HTTP on URLS (e.g. http://127.0.0.1:5080; ';'-separated); HTTP is off without it or Kestrel settings"),
        ("--api-key", $"{Section}:Http:ApiKey", "KEY", "require KEY (X-Api-Key or Authorization: Bearer) on POST /points and /score"),
        ("--cluster-redis", $"{Section}:Cluster:Redis", "HOST:PORT", "cluster mode: become an Orleans silo of the cluster whose membership and models' state are in this Redis (see the README's Cluster mode)"),
        ("--silo-port", $"{Section}:Cluster:SiloPort", "N", "cluster mode: the port silos talk to each other on (default 11111)"),
        ("--gateway-port", $"{Section}:Cluster:GatewayPort", "N", "cluster mode: the port Orleans clients connect to (default 30000)"),
        // MQTT: the switches set the first source (StreamingClusters:Sources:0) to a subscription.
        ("--mqtt-broker", $"{Section}:Sources:0:Broker", "URL", "read points from an MQTT broker (mqtt://HOST:PORT, or mqtts:// for TLS) instead of --input; JSON messages unless --format csv"),
        ("--mqtt-topic", $"{Section}:Sources:0:Topics", "FILTER", "a topic filter to subscribe to (wildcards + and #; repeat for more), e.g. 'sensors/#'"),
        ("--mqtt-client-id", $"{Section}:Sources:0:ClientId", "ID", "the fixed client id of the persistent session (default streamingclusters-mqtt-0)"),
        ("--mqtt-publish", $"{Section}:MqttPublish:SnapshotTopic", "TOPIC", "publish each snapshot, retained, on TOPIC of the --mqtt-broker (at most once a second), and events on TOPIC/events"),
        ("--config", null, "FILE", "layer a settings file over appsettings.json (e.g. config/sample.json, the sensor demo)"),
        ("--quiet", null, "", "print only the final summary (no progress, info or warning lines; errors still go to standard error)"),
        ("--help", null, "", "show this help"),
    ];

    private readonly List<string> _mqttTopics = [];

    private CommandLineSwitches()
    {
    }

    /// <summary>Gets the settings the switches set, as configuration keys and values.</summary>
    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets the --input path, if given.</summary>
    public string? Input { get; private set; }

    /// <summary>Gets the --format value, if given.</summary>
    public string? Format { get; private set; }

    /// <summary>Gets the --columns list, if given.</summary>
    public IReadOnlyList<string>? Columns { get; private set; }

    /// <summary>Gets a value indicating whether --no-header was given.</summary>
    public bool NoHeader { get; private set; }

    /// <summary>Gets a value indicating whether --follow was given.</summary>
    public bool Follow { get; private set; }

    /// <summary>Gets the --config file, if given.</summary>
    public string? ConfigFile { get; private set; }

    /// <summary>Gets a value indicating whether --quiet was given.</summary>
    public bool Quiet { get; private set; }

    /// <summary>Gets a value indicating whether --help was given.</summary>
    public bool Help { get; private set; }

    /// <summary>Gets the help text.</summary>
    public static string HelpText
    {
        get
        {
            var text = new System.Text.StringBuilder();
            text.AppendLine("streamingclusters: streaming k-means over a stream of numeric vectors.");
            text.AppendLine();
            text.AppendLine("Usage: streamingclusters --input PATH [switches]     learn from a file (or - for standard input)");
            text.AppendLine("       streamingclusters --urls URL [switches]       a service that learns from HTTP posts");
            text.AppendLine("       streamingclusters --config config/sample.json  the sensor demo");
            text.AppendLine();
            foreach (var (name, setting, value, help) in Table)
            {
                string left = value.Length == 0 ? name : $"{name} {value}";
                text.Append(CultureInfo.InvariantCulture, $"  {left,-26} {help}");
                text.AppendLine(setting is null ? string.Empty : $" [{setting}]");
            }

            text.AppendLine();
            text.AppendLine("Every setting can also be given as --StreamingClusters:Name=value, in appsettings.json,");
            text.AppendLine("in a --config file, or as an environment variable StreamingClusters__Name.");
            text.AppendLine("Durations (--batch-timeout, --checkpoint-interval, BatchTimeout, Checkpoint:Interval,");
            text.AppendLine($"HostOptions:ShutdownTimeout) are written {Duration.Forms}.");
            text.AppendLine("Logs and progress go to standard error, the final summary to standard output; stack traces");
            text.AppendLine("are logged only with Logging:LogLevel:Default=Debug.");
            text.AppendLine();
            text.Append(ExitCodes.Help);
            return text.ToString();
        }
    }

    /// <summary>Parses the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="error">Why the arguments were refused.</param>
    /// <returns>The switches, or null when refused.</returns>
    public static CommandLineSwitches? Parse(IReadOnlyList<string> args, out string? error)
    {
        var result = new CommandLineSwitches();
        error = null;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains(':', StringComparison.Ordinal))
            {
                // A setting by its configuration key: --StreamingClusters:BatchSize=512 or … 512.
                int eq = arg.IndexOf('=', StringComparison.Ordinal);
                string key = eq > 0 ? arg[2..eq] : arg[2..];
                string? value = eq > 0 ? arg[(eq + 1)..] : (i + 1 < args.Count ? args[++i] : null);
                if (value is null)
                {
                    error = $"{arg} needs a value.";
                    return null;
                }

                result.Settings[key] = value;
                continue;
            }

            var entry = Array.Find(Table, t => t.Switch == arg);
            if (entry.Switch is null)
            {
                error = $"Unknown switch '{arg}'. Run with --help to list the switches.";
                return null;
            }

            string? argument = null;
            if (entry.Value.Length > 0)
            {
                if (i + 1 >= args.Count)
                {
                    error = $"{arg} needs a value ({entry.Value}).";
                    return null;
                }

                argument = args[++i];
            }

            error = result.Apply(entry.Switch, entry.Setting, argument);
            if (error is not null)
            {
                return null;
            }
        }

        if (result.Mqtt)
        {
            if (result.Input is not null)
            {
                error = "--mqtt-broker and --input are two inputs: give one.";
                return null;
            }

            // JSON messages unless --format csv.
            result.Settings[$"{Section}:Sources:0:Format"] = result.Format == "csv" ? "Csv" : "Json";
        }

        return result;
    }

    /// <summary>Gets a value indicating whether --mqtt-broker was given.</summary>
    public bool Mqtt => Settings.ContainsKey($"{Section}:Sources:0:Broker");

    private string? ApplyMqtt(string name, string value)
    {
        const string source = $"{Section}:Sources:0";
        switch (name)
        {
            case "--mqtt-broker":
                Settings[$"{source}:Kind"] = "Mqtt";
                Settings[$"{source}:Broker"] = value;
                break;
            case "--mqtt-topic":
                Settings[$"{source}:Topics:{_mqttTopics.Count}"] = value;
                _mqttTopics.Add(value);
                break;
            case "--mqtt-client-id":
                Settings[$"{source}:ClientId"] = value;
                break;
            default:
                Settings[$"{Section}:MqttPublish:SnapshotTopic"] = value;
                Settings[$"{Section}:MqttPublish:EventTopic"] = value + "/events";
                break;
        }

        // Publishing goes to the same broker as the subscription.
        if (Settings.ContainsKey($"{Section}:MqttPublish:SnapshotTopic") && Settings.TryGetValue($"{source}:Broker", out string? broker))
        {
            Settings[$"{Section}:MqttPublish:Broker"] = broker;
        }

        return null;
    }

    private string? Apply(string name, string? setting, string? value)
    {
        switch (name)
        {
            case "--input": Input = value; break;
            case "--format":
                if (value is not ("csv" or "jsonl" or "json"))
                {
                    return $"--format must be csv or jsonl, not '{value}'.";
                }

                Format = value;
                break;
            case "--columns": Columns = value!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries); break;
            case "--no-header": NoHeader = true; break;
            case "--follow": Follow = true; break;
            case "--config": ConfigFile = value; break;
            case "--quiet": Quiet = true; break;
            case "--mqtt-broker" or "--mqtt-topic" or "--mqtt-client-id" or "--mqtt-publish":
                return ApplyMqtt(name, value!);
            case "--help": Help = true; break;
            case "--batch-timeout" or "--checkpoint-interval" when !Duration.TryParse(value, out _):
                return $"{name} '{value}' is not a duration: give one like {Duration.Forms}.";
            case "--half-life" when !HalfLife.TryParse(value, out _):
                return $"--half-life '{value}' is not a half-life: give a count with its unit (20000points, 50batches), a duration (10m, 30s, 2h) or none.";
            case "--scaling" when !ScalingModes.TryParse(value, out _):
                return $"--scaling must be none or standardize, not '{value}'.";
            case "--model" when !ModelKinds.TryParse(value, out _):
                return $"--model must be kmeans or gmm, not '{value}'.";
            case "--repair":
                if (value is not ("on" or "off"))
                {
                    return $"--repair must be on or off, not '{value}'.";
                }

                Settings[setting!] = value == "on" ? "true" : "false";
                break;
            default:
                Settings[setting!] = value ?? "true";
                break;
        }

        return null;
    }
}
