using Microsoft.Extensions.Options;
using StreamingClusters.Sources;

namespace StreamingClusters.Options;

/// <summary>
/// Refuses, at start-up, a source whose <c>Kind</c> no registered <see cref="IPointSourceProvider"/>
/// creates (a <c>Kind: Mqtt</c> source in a program that did not add MQTT), naming the setting.
/// </summary>
/// <param name="providers">The providers registered.</param>
internal sealed class SourceProvidersValidator(IEnumerable<IPointSourceProvider> providers) : IValidateOptions<StreamingClustersOptions>
{
    public ValidateOptionsResult Validate(string? name, StreamingClustersOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        HashSet<SourceKind> registered = [SourceKind.File, .. providers.Select(p => p.Kind)];
        var problems = new List<string>();
        for (int i = 0; i < options.Sources.Count; i++)
        {
            SourceKind kind = options.Sources[i].Kind;
            if (Enum.IsDefined(kind) && !registered.Contains(kind))
            {
                problems.Add(
                    $"StreamingClusters:Sources:{i}:Kind is {kind}, but no provider of {kind} sources is registered " +
                    $"(for MQTT: services.AddStreamingClustersMqtt(configuration), from StreamingClusters.Mqtt).");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
