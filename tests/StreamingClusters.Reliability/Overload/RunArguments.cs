using System.Globalization;

namespace StreamingClusters.Reliability.Overload;

/// <summary>The options of a long run: <c>--name value</c> pairs, each with a default.</summary>
internal sealed class RunArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public RunArguments(string[] args)
    {
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Expected --name value pairs, got '{args[i]}'.", nameof(args));
            }

            _values[args[i][2..]] = args[i + 1];
        }

        if (args.Length % 2 != 0)
        {
            throw new ArgumentException($"'{args[^1]}' has no value.", nameof(args));
        }
    }

    public int Int(string name, int fallback) => _values.TryGetValue(name, out string? v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public string? Text(string name) => _values.GetValueOrDefault(name);
}
