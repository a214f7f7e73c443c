
namespace StreamingClusters.Cluster.Grains;

/// <summary>The names of the models defined in the cluster (one grain, key 0), so any silo can list them.</summary>
public interface IModelRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Adds a model's name.</summary>
    /// <param name="name">The name.</param>
    /// <returns>A task that completes once the name is persisted.</returns>
    Task Add(string name);

    /// <summary>Forgets a deleted model's name.</summary>
    /// <param name="name">The name.</param>
    /// <returns>A task that completes once the names without it are persisted.</returns>
    Task Remove(string name);

    /// <summary>Gets the names, in ordinal order.</summary>
    /// <returns>The names.</returns>
    Task<string[]> Names();
}

/// <summary>The registry's persisted state.</summary>
[GenerateSerializer]
public sealed class ModelRegistryState
{
    /// <summary>Gets the names.</summary>
    [Id(0)]
    public SortedSet<string> Names { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>Keeps the names of the defined models.</summary>
internal sealed class ModelRegistryGrain([PersistentState("registry", ModelGrain.StorageName)] IPersistentState<ModelRegistryState> state) : Grain, IModelRegistryGrain
{
    /// <inheritdoc/>
    public async Task Add(string name)
    {
        if (state.State.Names.Add(name))
        {
            await state.WriteStateAsync();
        }
    }

    /// <inheritdoc/>
    public async Task Remove(string name)
    {
        if (state.State.Names.Remove(name))
        {
            await state.WriteStateAsync();
        }
    }

    /// <inheritdoc/>
    public Task<string[]> Names() => Task.FromResult(state.State.Names.ToArray());
}
