using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Ingest;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.Models;
using StreamingClusters.Options;

namespace StreamingClusters.Cluster.Catalog;

/// <summary>
/// The models in cluster mode: every model is a grain, reached from any silo, the model
/// <see cref="ModelName.Default"/> of the top-level settings among them. At start it defines
/// <c>default</c> from the top-level <c>StreamingClusters</c> settings and the models declared under
/// <c>StreamingClusters:Models:{name}</c> (an existing model with the same settings is left as it is; one
/// with other settings refuses the start, naming them).
/// </summary>
internal sealed partial class ClusterModelCatalog : IModelCatalog, IModelNames, IHostedService
{
    private readonly SiloIngest _ingest;
    private readonly IConfigurationSection _top;
    private readonly IGrainFactory _grains;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    /// <summary>The refusal to delete the model of the top-level settings.</summary>
    private static readonly ModelDeletion DefaultRefused = new(
        ModelDeletionOutcome.Refused,
        $"the model '{ModelName.Default}' is defined by every worker from its top-level StreamingClusters settings, again at each start; it cannot be deleted");

    private readonly ConcurrentDictionary<string, GrainModelHandle> _handles = new(StringComparer.Ordinal);

    public ClusterModelCatalog(SiloIngest ingest, IConfiguration configuration, IGrainFactory grains, TimeProvider time, ILoggerFactory loggers)
    {
        _ingest = ingest;
        _top = configuration.GetSection(StreamingClustersOptions.SectionName);
        _grains = grains;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<ClusterModelCatalog>();
    }

    private IModelRegistryGrain Registry => _grains.GetGrain<IModelRegistryGrain>(0);

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Refused like any other setting (the worker says "Configuration refused" and exits with 2),
        // every problem at once, each naming its setting.
        var problems = new List<string>(await DefineDefaultAsync(cancellationToken));
        foreach (IConfigurationSection model in _top.GetSection(LocalModelCatalog.ModelsSection).GetChildren())
        {
            string where = $"{StreamingClustersOptions.SectionName}:{LocalModelCatalog.ModelsSection}:{model.Key}";
            if (model.Key == ModelName.Default)
            {
                problems.Add($"{where}: 'default' is the model of the top-level StreamingClusters settings; give the named model another name.");
                continue;
            }

            var settings = new Models.ModelOverrides(model.AsEnumerable(makePathsRelative: true).Where(p => p.Value is not null));
            ModelCreation created = await CreateAsync(model.Key, settings, cancellationToken);
            if (created.Outcome is ModelCreationOutcome.Refused or ModelCreationOutcome.Conflict)
            {
                problems.AddRange(created.Problems.Select(p => p.StartsWith($"{StreamingClustersOptions.SectionName}:", StringComparison.Ordinal) ? p : $"{where}: {p}"));
            }
        }

        if (problems.Count > 0)
        {
            throw new OptionsValidationException(LocalModelCatalog.ModelsSection, typeof(StreamingClustersOptions), problems);
        }
    }

    /// <summary>
    /// Defines the model <c>default</c> from the top-level settings, or checks that the cluster defines it
    /// so already: a worker whose settings differ is refused, naming each setting that differs.
    /// </summary>
    private async Task<IReadOnlyList<string>> DefineDefaultAsync(CancellationToken cancellationToken)
    {
        if (ClusterModelDefinitions.ForDefault(_top, out IReadOnlyList<string> problems) is not { } definition)
        {
            return problems;
        }

        IModelGrain grain = _ingest.Grain(ModelName.Default);
        try
        {
            await _ingest.CallAsync(() => grain.Define(definition), cancellationToken);
        }
        catch (ArgumentException ex)
        {
            return await _ingest.CallAsync(grain.GetDefinition, cancellationToken) is { } existing
                ? ClusterModelDefinitions.Differences(definition, existing, StreamingClustersOptions.SectionName, ModelName.Default)
                : [$"{StreamingClustersOptions.SectionName}: {ex.Message}"];
        }

        await Registry.Add(ModelName.Default).WaitAsync(cancellationToken);
        LogDefault(definition.Clusters, definition.Dimensions);
        return [];
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<ModelInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        var models = new List<ModelInfo>();
        foreach (string name in await NamesAsync(cancellationToken))
        {
            try
            {
                models.Add(await Handle(name).DescribeAsync(cancellationToken));
            }
            catch (KeyNotFoundException)
            {
                // Listed but not defined: deleted while this list was read, or a name a deletion that raced
                // its creation left behind. Not a model (as /healthz has it).
            }
        }

        return [.. models.OrderBy(m => m.Name, StringComparer.Ordinal)];
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<string>> NamesAsync(CancellationToken cancellationToken = default) =>
        [.. (await Registry.Names().WaitAsync(cancellationToken)).Order(StringComparer.Ordinal)];

    /// <inheritdoc/>
    public async ValueTask<IModelHandle?> FindAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!ModelName.IsValid(name))
        {
            return null;
        }

        // The silo's feed of the model holds its definition once the grain has given it, so only the first
        // request for a name on this silo asks the grain; an unknown name is asked again each time, as it may
        // be defined meanwhile. A model deleted since (perhaps made again) is found by the feed's next
        // refresh (a post's, a score's, or the limits'), which drops the feed: the handle is then of the
        // model the name has now, or its calls answer that there is none.
        try
        {
            await _ingest.FeedAsync(name).WaitAsync(cancellationToken);
        }
        catch (KeyNotFoundException)
        {
            return null;
        }

        return Handle(name);
    }

    /// <inheritdoc/>
    public async ValueTask<ModelCreation> CreateAsync(string name, Models.ModelOverrides settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (ModelName.Problem(name) is { } problem)
        {
            return new ModelCreation(ModelCreationOutcome.Refused, null, [problem]);
        }

        if (name == ModelName.Default)
        {
            // The model of the top-level settings, defined at start: it exists, with those settings.
            ModelInfo current = await Handle(name).DescribeAsync(cancellationToken);
            return settings.Values.Count == 0
                ? new ModelCreation(ModelCreationOutcome.Exists, current, [])
                : new ModelCreation(
                    ModelCreationOutcome.Conflict,
                    current,
                    [$"the model '{name}' exists with other settings (the top-level ones); a model's settings do not change once it is made"]);
        }

        string where = $"{StreamingClustersOptions.SectionName}:{LocalModelCatalog.ModelsSection}:{name}";
        ClusterModelDefinition? definition = ClusterModelDefinitions.Create(_top, settings, where, out IReadOnlyList<string> problems);
        if (definition is null)
        {
            return new ModelCreation(ModelCreationOutcome.Refused, null, problems);
        }

        IModelGrain grain = _ingest.Grain(name);
        bool existed = await grain.GetDefinition().WaitAsync(cancellationToken) is not null;
        ClusterModelDefinition defined;
        try
        {
            defined = await grain.Define(definition).WaitAsync(cancellationToken);
        }
        catch (ArgumentException ex)
        {
            return new ModelCreation(ModelCreationOutcome.Conflict, await Handle(name).DescribeAsync(cancellationToken), [ex.Message]);
        }

        await Registry.Add(name).WaitAsync(cancellationToken);

        // A DELETE of the name may have run between the Define and the Add (it takes the name off the list
        // before it deletes the model): the grain is asked again, so that a name is not left listed without
        // its model, nor a PUT answered for a model that is gone.
        ClusterModelDefinition? now = await grain.GetDefinition().WaitAsync(cancellationToken);
        if (now?.Incarnation != defined.Incarnation)
        {
            if (now is null)
            {
                await Registry.Remove(name).WaitAsync(cancellationToken);

                // Made again by another PUT meanwhile: its name stays listed.
                if (await grain.GetDefinition().WaitAsync(cancellationToken) is not null)
                {
                    await Registry.Add(name).WaitAsync(cancellationToken);
                }
            }

            _ingest.ForgetUnlessOf(name, now?.Incarnation);
            LogDeletedWhileMade(name);
            return new ModelCreation(
                ModelCreationOutcome.Conflict,
                null,
                [$"the model '{name}' was deleted while it was being made; send the request again to make it"]);
        }

        // A feed this silo holds of another incarnation is of a deleted model; one of this incarnation
        // (made by a post since the model was defined, perhaps by another silo) stays.
        _ingest.ForgetUnlessOf(name, defined.Incarnation);

        ModelInfo info = await Handle(name).DescribeAsync(cancellationToken);
        if (!existed)
        {
            LogCreated(name, definition.Clusters, definition.Dimensions);
        }

        return new ModelCreation(existed ? ModelCreationOutcome.Exists : ModelCreationOutcome.Created, info, []);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The grain clears its persisted state and deactivates, and the registry forgets the name. This silo
    /// drops its feed of the model at once; another silo drops its own when an answer of the grain shows
    /// the model undefined or of another incarnation (a post there then gets 404, or goes to the model
    /// made again under the name when that is found before its points are taken).
    /// </remarks>
    public async ValueTask<ModelDeletion> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        if (name == ModelName.Default)
        {
            // Every worker defines it from its top-level settings at start: deleting it would not last.
            return DefaultRefused;
        }

        if (!ModelName.IsValid(name))
        {
            return ModelDeletion.NotFound;
        }

        // Defined again by every silo that starts with the setting: deleting it would not last.
        if (_top.GetSection($"{LocalModelCatalog.ModelsSection}:{name}").Exists())
        {
            return ModelDeletion.Declared(name);
        }

        // The name leaves the list first: a deletion cut short leaves a model that is not listed (a second
        // DELETE, or a PUT, finds it), never a listed name without a model.
        await Registry.Remove(name).WaitAsync(cancellationToken);
        IModelGrain grain = _ingest.Grain(name);
        bool deleted = await grain.Delete().WaitAsync(cancellationToken);

        // A PUT of the model as it was, between the two steps above, listed the name again: take it off
        // once more unless a model was made again since.
        if (await grain.GetDefinition().WaitAsync(cancellationToken) is null)
        {
            await Registry.Remove(name).WaitAsync(cancellationToken);
        }

        _ingest.Forget(name);
        _handles.TryRemove(name, out _);
        if (deleted)
        {
            LogDeleted(name);
        }

        return deleted ? ModelDeletion.Deleted : ModelDeletion.NotFound;
    }

    private GrainModelHandle Handle(string name) => _handles.GetOrAdd(name, n =>
    {
        float maxAbsolute = float.TryParse(_top["MaxAbsoluteValue"], System.Globalization.CultureInfo.InvariantCulture, out float m) ? m : 1e15f;
        int maxRecord = int.TryParse(_top["MaxRecordLength"], System.Globalization.CultureInfo.InvariantCulture, out int r) ? r : 65_536;
        return new GrainModelHandle(n, _ingest, maxAbsolute, maxRecord, _time, _loggers.CreateLogger<GrainModelHandle>());
    });

    [LoggerMessage(Level = LogLevel.Information, Message = "Model 'default' of the top-level settings is the cluster's (k = {Clusters}, d = {Dimensions}).")]
    private partial void LogDefault(int clusters, int dimensions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model '{Model}' defined in the cluster (k = {Clusters}, d = {Dimensions}).")]
    private partial void LogCreated(string model, int clusters, int dimensions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model '{Model}' was deleted while this worker was making it; its creation is answered as a conflict.")]
    private partial void LogDeletedWhileMade(string model);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model '{Model}' deleted from the cluster: its state and points are gone.")]
    private partial void LogDeleted(string model);
}
