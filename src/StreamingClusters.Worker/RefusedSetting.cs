using System.Text.RegularExpressions;

namespace StreamingClusters.Worker;

/// <summary>
/// Words a refused setting as an operator reads it: by its configuration key. The options validator
/// puts the member's name before each message ("ReseedRatio: …"), and a range check speaks of the
/// C# property ("The field StreamingClustersOptions.Seeding.BufferSize must be between 1 and 16777216").
/// </summary>
internal static partial class RefusedSetting
{
    /// <summary>Words one validation failure.</summary>
    /// <param name="failure">The validator's text.</param>
    /// <returns>The message, naming the setting by its key.</returns>
    public static string Describe(string failure)
    {
        // A declared model's failure, "StreamingClusters:Models:{name}: " before the validator's text:
        // the setting is named under the model's section.
        Match model = ModelPrefix().Match(failure);
        if (model.Success)
        {
            string section = model.Groups["section"].Value;
            string rest = Describe(failure[model.Length..]);
            return rest.StartsWith("StreamingClusters:", StringComparison.Ordinal) ? section + rest["StreamingClusters".Length..] : $"{section}: {rest}";
        }

        Match range = RangeMessage().Match(failure);
        if (range.Success)
        {
            return $"StreamingClusters:{range.Groups["path"].Value.Replace('.', ':')} must be {range.Groups["rest"].Value}";
        }

        Match named = MemberPrefix().Match(failure);
        return named.Success ? failure[named.Length..] : failure;
    }

    [GeneratedRegex(@"^[\w.]+: The field StreamingClustersOptions\.(?<path>[\w.]+) must be (?<rest>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex RangeMessage();

    [GeneratedRegex(@"^(?<section>StreamingClusters:Models:[a-z0-9_-]+): ", RegexOptions.CultureInvariant)]
    private static partial Regex ModelPrefix();

    [GeneratedRegex(@"^[\w.]+: (?=StreamingClusters:)", RegexOptions.CultureInvariant)]
    private static partial Regex MemberPrefix();
}
