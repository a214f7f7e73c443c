using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamingClusters.Checkpoints;
using StreamingClusters.Diagnostics;
using StreamingClusters.Options;
using StreamingClusters.Sinks;

namespace StreamingClusters.Models;

/// <summary>
/// The named models of one process, each a <see cref="ClusteringPipeline"/> of its own beside the model
/// of the top-level settings (<c>default</c>, run by the host's <see cref="Hosting.StreamingClustersService"/>).
/// At start it makes the models declared under <c>StreamingClusters:Models:{name}</c> and, when checkpoints
/// are on, those created by <see cref="CreateAsync"/> in an earlier run (their settings are kept in
/// <c>{checkpoint folder}/{name}/model.json</c>, their checkpoint beside them); at stop it drains every
/// one of them, as the default model is drained.
/// </summary>
public sealed partial class LocalModelCatalog : IModelCatalog, IHostedService, IDisposable
{
    /// <summary>The section below the top-level one where models are declared.</summary>
    public const string ModelsSection = "Models";

    private readonly IConfiguration _section;
    private readonly StreamingClustersOptions _top;
    private readonly IDeadLetterSink _deadLetters;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly StreamingClustersMetrics _metrics;
    private readonly LocalModel _default;

    /// <summary>The models by name, the default among them; a named model is removed when its run fails or it is deleted.</summary>
    private readonly ConcurrentDictionary<string, LocalModel> _models = new(StringComparer.Ordinal);

    /// <summary>The runs of the named models, added under <see cref="_creating"/>.</summary>
    private readonly List<Task> _runs = [];

    /// <summary>Each named model's run and what stops it alone (<see cref="DeleteAsync"/>), under <see cref="_creating"/>.</summary>
    private readonly Dictionary<string, ModelRun> _running = new(StringComparer.Ordinal);

    /// <summary>Serialises creations, so that two requests for one name make one model.</summary>
    private readonly SemaphoreSlim _creating = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abandon = new();

    /// <summary>Creates the catalog; the named models are made at <see cref="StartAsync"/>.</summary>
    /// <param name="section">The top-level <c>StreamingClusters</c> section, which every model's settings are layered over.</param>
    /// <param name="pipeline">The pipeline of the model <c>default</c>.</param>
    /// <param name="options">The top-level settings, validated.</param>
    /// <param name="deadLetters">The service's dead-letter sink, which every model writes to.</param>
    /// <param name="time">The clock.</param>
    /// <param name="loggers">Logging.</param>
    /// <param name="metrics">The default model's metrics, whose instruments the named models record into with their own <c>model</c> tag.</param>
    public LocalModelCatalog(
        IConfiguration section,
        ClusteringPipeline pipeline,
        IOptions<StreamingClustersOptions> options,
        IDeadLetterSink deadLetters,
        TimeProvider time,
        ILoggerFactory loggers,
        StreamingClustersMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(deadLetters);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggers);
        ArgumentNullException.ThrowIfNull(metrics);
        _section = section;
        _top = options.Value;
        _deadLetters = deadLetters;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<LocalModelCatalog>();
        _metrics = metrics;
        _default = new LocalModel(ModelName.Default, ModelOverrides.Empty, _top, pipeline, time);
        _models[ModelName.Default] = _default;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<ModelInfo>> ListAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<ModelInfo>>([.. _models.Values.OrderBy(m => m.Name, StringComparer.Ordinal).Select(m => m.Describe())]);

    /// <inheritdoc/>
    public ValueTask<IModelHandle?> FindAsync(string name, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IModelHandle?>(name is not null && _models.TryGetValue(name, out LocalModel? model) ? model : null);

    /// <inheritdoc/>
    public async ValueTask<ModelCreation> CreateAsync(string name, ModelOverrides settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (ModelName.Problem(name) is { } problem)
        {
            return new ModelCreation(ModelCreationOutcome.Refused, null, [problem]);
        }

        await _creating.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Create(name, settings, $"{StreamingClustersOptions.SectionName}:{ModelsSection}:{name}", persist: true);
        }
        finally
        {
            _creating.Release();
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The model leaves the catalog at once and its run is stopped as at shutdown (it takes no more
    /// points and applies the few it had queued, a moment's work, which logs nothing alarming), then
    /// its folder beside the checkpoint (checkpoint and kept settings) is removed, so that it is not made
    /// again at the next start: every point it had acknowledged goes with it. A write that races the
    /// deletion is refused as one to a stopping model. The model's observed metric series go with it.
    /// </remarks>
    public async ValueTask<ModelDeletion> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        if (name == ModelName.Default)
        {
            return ModelDeletion.DefaultRefused;
        }

        if (!ModelName.IsValid(name))
        {
            return ModelDeletion.NotFound;
        }

        await _creating.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_models.TryGetValue(name, out LocalModel? model))
            {
                return ModelDeletion.NotFound;
            }

            // Made again from configuration at the next start: deleting it would not last.
            if (_section.GetSection($"{ModelsSection}:{name}").Exists())
            {
                return ModelDeletion.Declared(name);
            }

            _models.TryRemove(new KeyValuePair<string, LocalModel>(name, model));
            if (_running.Remove(name, out ModelRun? run))
            {
                await run.Stop.CancelAsync().ConfigureAwait(false);
                await run.Task.ConfigureAwait(false);
                run.Dispose();
            }

            model.Pipeline.Metrics.Remove();
            RemoveFolder(name);
            LogDeleted(_logger, name);
            return ModelDeletion.Deleted;
        }
        finally
        {
            _creating.Release();
        }
    }

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var declared = new HashSet<string>(StringComparer.Ordinal);
        await _creating.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (IConfigurationSection model in _section.GetSection(ModelsSection).GetChildren())
            {
                string where = $"{StreamingClustersOptions.SectionName}:{ModelsSection}:{model.Key}";
                if (model.Key == ModelName.Default || ModelName.Problem(model.Key) is not null)
                {
                    problems.Add(model.Key == ModelName.Default
                        ? $"{where}: 'default' is the model of the top-level StreamingClusters settings; give the named model another name."
                        : $"{where}: {ModelName.Problem(model.Key)}");
                    continue;
                }

                var settings = new ModelOverrides(model.AsEnumerable(makePathsRelative: true).Where(p => p.Value is not null));
                declared.Add(model.Key);
                problems.AddRange(Create(model.Key, settings, where, persist: false).Problems.Select(p => p.StartsWith(where, StringComparison.Ordinal) ? p : $"{where}: {p}"));
            }

            foreach ((string name, ModelOverrides settings, string file) in Persisted())
            {
                if (!declared.Contains(name))
                {
                    problems.AddRange(Create(name, settings, file, persist: false).Problems.Select(p => $"{p} (the settings of the model '{name}', created by PUT, in {file})"));
                }
            }
        }
        finally
        {
            _creating.Release();
        }

        if (problems.Count > 0)
        {
            throw new OptionsValidationException(ModelsSection, typeof(StreamingClustersOptions), problems);
        }
    }

    /// <summary>Stops every named model and waits until each has drained; see <see cref="Hosting.StreamingClustersService.StopAsync"/>.</summary>
    /// <param name="cancellationToken">The host's shutdown time-out: past it, the drains are abandoned at the next batch boundary.</param>
    /// <returns>A task that completes when every named model has stopped.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task all;
        await _creating.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            all = Task.WhenAll(_runs);
        }
        finally
        {
            _creating.Release();
        }

        try
        {
            await all.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await _abandon.CancelAsync().ConfigureAwait(false);
            await all.ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _creating.Dispose();
        foreach (ModelRun run in _running.Values)
        {
            run.Dispose();
        }

        _stopping.Dispose();
        _abandon.Dispose();
    }

    /// <summary>Makes a model, unless one of that name exists; called under <see cref="_creating"/>.</summary>
    private ModelCreation Create(string name, ModelOverrides settings, string where, bool persist)
    {
        if (_models.TryGetValue(name, out LocalModel? existing))
        {
            return existing.Settings.Equals(settings)
                ? new ModelCreation(ModelCreationOutcome.Exists, existing.Describe(), [])
                : new ModelCreation(
                    ModelCreationOutcome.Conflict,
                    existing.Describe(),
                    [$"the model '{name}' exists with other settings ({(existing.Settings.Values.Count == 0 ? "the top-level ones" : existing.Settings.ToString())}); a model's settings do not change once it is made"]);
        }

        if (_stopping.IsCancellationRequested)
        {
            throw new InvalidOperationException("The service is stopping: no model is made now.");
        }

        StreamingClustersOptions? options = ModelConfiguration.Create(_section, _top, name, settings, where, out IReadOnlyList<string> problems);
        if (options is null)
        {
            return new ModelCreation(ModelCreationOutcome.Refused, null, problems);
        }

        string? directory = ModelConfiguration.ModelDirectory(_top, name);
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        var pipeline = new ClusteringPipeline(options, new ModelDeadLetterSink(_deadLetters, name), _time, new ModelLoggerFactory(_loggers, name), metrics: _metrics.ForModel(name));
        try
        {
            // The check the default model's run makes as it starts, made before the model is offered: a
            // checkpoint of another shape refuses the model rather than leaving it listed and unusable.
            pipeline.LoadCheckpoint($"{StreamingClustersOptions.SectionName}:{ModelsSection}:{name}");
        }
        catch (CheckpointException ex)
        {
            return new ModelCreation(ModelCreationOutcome.Refused, null, [ex.Message]);
        }

        // Written once the checkpoint beside it is known to fit, so that a refused model leaves the kept settings as they were.
        if (persist && directory is not null)
        {
            WriteSettings(Path.Combine(directory, ModelConfiguration.SettingsFileName), settings);
        }

        var model = new LocalModel(name, settings, options, pipeline, _time);
        _models[name] = model;
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        Task run = RunAsync(model, stop.Token);
        if (_running.Remove(name, out ModelRun? ended))
        {
            // The run of an earlier model of the name, which failed and was taken out.
            ended.Dispose();
        }

        _running[name] = new ModelRun(run, stop);
        _runs.Add(run);
        LogCreated(_logger, name, options.Clusters, options.Dimensions, options.Model);
        return new ModelCreation(ModelCreationOutcome.Created, model.Describe(), []);
    }

    private async Task RunAsync(LocalModel model, CancellationToken stopping)
    {
        await Task.Yield();
        try
        {
            await model.Pipeline.RunAsync([], stopWhenSourcesEnd: false, stopping, _abandon.Token).ConfigureAwait(false);
            if (model.Pipeline.CheckpointStatus is { IsFailing: true } checkpoint)
            {
                LogFinalCheckpointMissing(_logger, model.Name, checkpoint.Path, checkpoint.LastError);
            }
        }
#pragma warning disable CA1031 // One model's failure is logged with its cause; the others and the service go on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // A model that cannot run is not offered: listed, it would refuse every point.
            _models.TryRemove(new KeyValuePair<string, LocalModel>(model.Name, model));
            LogFailed(_logger, ex, model.Name, ex.Message);
        }
    }

    /// <summary>Lists the models created by PUT in earlier runs: each folder beside the checkpoint with a model name and a settings file.</summary>
    private IEnumerable<(string Name, ModelOverrides Settings, string File)> Persisted()
    {
        if (ModelConfiguration.CheckpointDirectory(_top) is not { } root || !Directory.Exists(root))
        {
            yield break;
        }

        foreach (string directory in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(directory);
            string file = Path.Combine(directory, ModelConfiguration.SettingsFileName);
            if (ModelName.IsValid(name) && name != ModelName.Default && File.Exists(file))
            {
                ModelOverrides settings;
                try
                {
                    settings = ModelOverrides.FromJson(File.ReadAllBytes(file));
                }
                catch (FormatException ex)
                {
                    throw new OptionsValidationException(ModelsSection, typeof(StreamingClustersOptions), [$"The settings of the model '{name}' in {file} cannot be read: {ex.Message}"]);
                }

                yield return (name, settings, file);
            }
        }
    }

    /// <summary>
    /// Removes a deleted model's folder beside the checkpoint: renamed first to a name no model can have
    /// (one step, so that a crash never leaves a model to be restored half-removed), then deleted.
    /// </summary>
    private void RemoveFolder(string name)
    {
        if (ModelConfiguration.ModelDirectory(_top, name) is not { } directory || !Directory.Exists(directory))
        {
            return;
        }

        string removed = $"{directory}.deleted-{Guid.NewGuid():N}";
        try
        {
            Directory.Move(directory, removed);
            Directory.Delete(removed, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogFolderLeft(_logger, name, Directory.Exists(directory) ? directory : removed, ex.Message);
        }
    }

    /// <summary>Writes a model's settings atomically (a temporary file, flushed, then renamed), so that a crash leaves the old file or the new one.</summary>
    private static void WriteSettings(string path, ModelOverrides settings)
    {
        string temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(settings.ToJson());
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Model '{Name}' made: k = {Clusters}, d = {Dimensions} (0: from the first point), model {Model}")]
    private static partial void LogCreated(ILogger logger, string name, int clusters, int dimensions, string model);

    [LoggerMessage(EventId = 601, Level = LogLevel.Error, Message = "Model '{Name}' stopped and was taken out of the catalog: {Reason}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string name, string reason);

    [LoggerMessage(EventId = 603, Level = LogLevel.Information, Message = "Model '{Name}' deleted: its points, state and kept settings are gone")]
    private static partial void LogDeleted(ILogger logger, string name);

    [LoggerMessage(EventId = 604, Level = LogLevel.Warning, Message = "Model '{Name}' deleted, but its folder {Path} could not be removed ({Error}); remove it by hand before the model is created again")]
    private static partial void LogFolderLeft(ILogger logger, string name, string path, string error);

    /// <summary>A named model's run and the source of its own stop (linked to the service's).</summary>
    private sealed record ModelRun(Task Task, CancellationTokenSource Stop) : IDisposable
    {
        public void Dispose() => Stop.Dispose();
    }

    [LoggerMessage(EventId = 602, Level = LogLevel.Error, Message = "Model '{Name}' ended without its final checkpoint: {Path} could not be written ({Error})")]
    private static partial void LogFinalCheckpointMissing(ILogger logger, string name, string path, string? error);
}
