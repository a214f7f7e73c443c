namespace StreamingClusters.Models;

/// <summary>
/// Names the models of a catalog without describing them: a catalog whose models live elsewhere (one
/// grain per model in cluster mode) gives the names from one place, so that a caller that must stay
/// cheap (a health probe) can then ask each model on its own, each call bounded.
/// </summary>
public interface IModelNames
{
    /// <summary>Lists the models' names, ordered.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The names, <see cref="ModelName.Default"/> among them.</returns>
    ValueTask<IReadOnlyList<string>> NamesAsync(CancellationToken cancellationToken = default);
}
