namespace StreamingClusters.Models;

/// <summary>
/// The named models of a service: list them, find one, create one from its settings. The HTTP surface
/// speaks only to this, so that the models may live in this process or
/// on other nodes (one grain per model in cluster mode). Everything that crosses it is plain data:
/// names, settings as configuration keys, numbers, arrays and the snapshot records.
/// </summary>
/// <remarks>
/// The model named <see cref="ModelName.Default"/> always exists: it is the one of the top-level
/// <c>StreamingClusters</c> settings, fed by the configured sources and today's single-model routes.
/// </remarks>
public interface IModelCatalog
{
    /// <summary>Lists the models, ordered by name.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Each model's shape and progress.</returns>
    ValueTask<IReadOnlyList<ModelInfo>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Finds a model by name.</summary>
    /// <param name="name">The model's name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The model, or null when there is none of that name (or the name is not a model name).</returns>
    ValueTask<IModelHandle?> FindAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates a model with <paramref name="settings"/> layered over the top-level settings, validated as
    /// at start-up; creating one that exists with the same settings changes nothing.
    /// </summary>
    /// <param name="name">The model's name (<see cref="ModelName.Rule"/>).</param>
    /// <param name="settings">Its own settings.</param>
    /// <param name="cancellationToken">Cancels the call; a model already created stays.</param>
    /// <returns>What happened: created, already there, a conflict, or refused with the reasons.</returns>
    ValueTask<ModelCreation> CreateAsync(string name, ModelOverrides settings, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes a model: it stops taking points, what it held (points already acknowledged among them) is
    /// dropped with its persisted state, and the name is free to be created again, with any settings.
    /// <see cref="ModelName.Default"/> and the models declared in configuration are refused.
    /// </summary>
    /// <param name="name">The model's name.</param>
    /// <param name="cancellationToken">Cancels waiting; the deletion may still complete.</param>
    /// <returns>Deleted, not found, or refused with the reason.</returns>
    ValueTask<ModelDeletion> DeleteAsync(string name, CancellationToken cancellationToken = default);
}
