using System.Text.RegularExpressions;

namespace StreamingClusters.Models;

/// <summary>The names models may have: <see cref="Rule"/>, and the model <see cref="Default"/>.</summary>
public static partial class ModelName
{
    /// <summary>The name of the model of the top-level settings, which today's single-model routes address.</summary>
    public const string Default = "default";

    /// <summary>The rule a name follows, as a regular expression: a lower-case letter or digit, then up to 63 of those, '-' or '_'.</summary>
    public const string Rule = "^[a-z0-9][a-z0-9_-]{0,63}$";

    /// <summary>Says whether <paramref name="name"/> is a model name.</summary>
    /// <param name="name">The name.</param>
    /// <returns><see langword="true"/> when it follows <see cref="Rule"/>.</returns>
    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    /// <summary>Says why <paramref name="name"/> is not a model name.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The reason, or null when it is one.</returns>
    public static string? Problem(string? name) =>
        IsValid(name)
            ? null
            : $"'{name}' is not a model name: give 1 to 64 characters, lower-case letters, digits, '-' and '_', beginning with a letter or a digit.";

    [GeneratedRegex(Rule, RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
