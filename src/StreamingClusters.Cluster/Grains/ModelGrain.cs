using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamingClusters.Cluster.Ingest;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.Model;

namespace StreamingClusters.Cluster.Grains;

/// <summary>
/// A named model's grain: the single writer of its M-step. Each batch carries its producer and
/// sequence number; a batch at or below the producer's last applied sequence is dropped and counted,
/// so a producer may resend a batch whose answer it did not get. The state (definition, model,
/// seeding buffer, sequences) is written before any batch is answered; when a write fails the grain
/// reloads the persisted state before the next call, so no answer ever covers unpersisted work.
/// </summary>
internal sealed partial class ModelGrain : Grain, IModelGrain
{
    /// <summary>The grain storage that holds the models.</summary>
    public const string StorageName = "streaming-clusters-models";

    private readonly IPersistentState<ModelGrainState> _state;
    private readonly TimeProvider _time;
    private readonly ILogger<ModelGrain> _logger;
    private readonly ProducerLedger _producers;

    /// <summary>The model, built from the persisted state on first use; null until then or after a failed write.</summary>
    private ModelOwner? _owner;

    /// <summary>Set when a write failed: the state in memory is ahead of the persisted one and must be read again.</summary>
    private bool _reload;

    public ModelGrain([PersistentState("model", StorageName)] IPersistentState<ModelGrainState> state, TimeProvider time, IOptions<ClusterIngestOptions> ingest, ILogger<ModelGrain> logger)
    {
        _state = state;
        _time = time;
        _logger = logger;
        _producers = new ProducerLedger(time, ingest.Value.SendDeadline);
    }

    private string Name => this.GetPrimaryKeyString();

    /// <inheritdoc/>
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        LogActivated(Name, RuntimeIdentity, _state.RecordExists);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task<ClusterModelDefinition> Define(ClusterModelDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        await ReloadIfNeededAsync();
        if (_state.State.Definition is { } existing)
        {
            return existing.SameSettings(definition)
                ? existing
                : throw new ArgumentException($"The model '{Name}' is defined as {existing with { Incarnation = null }}, not {definition with { Incarnation = null }}.", nameof(definition));
        }

        definition.Validate();
        definition = definition with { Incarnation = Guid.NewGuid().ToString("N") };
        _state.State.Definition = definition;
        await WriteAsync();
        return definition;
    }

    /// <inheritdoc/>
    public async Task<bool> Delete()
    {
        await ReloadIfNeededAsync();
        if (_state.State.Definition is null)
        {
            return false;
        }

        try
        {
            await _state.ClearStateAsync();
        }
        catch
        {
            _reload = true;
            _owner = null;
            throw;
        }

        // The cleared state has no definition: until the grain deactivates, every batch is refused as
        // one to an undefined model, and the next activation reads the cleared state.
        _state.State = new ModelGrainState();
        _owner = null;
        LogDeleted(Name);
        DeactivateOnIdle();
        return true;
    }

    /// <inheritdoc/>
    public async Task<ClusterModelDefinition?> GetDefinition()
    {
        await ReloadIfNeededAsync();
        return _state.State.Definition;
    }

    /// <inheritdoc/>
    public async Task<BatchReceipt> AddPoints(PointsBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ModelOwner owner = await OwnerAsync();
        CheckIncarnation(batch.Incarnation);
        if (IsDuplicate(batch.Producer, batch.Sequence))
        {
            return await DuplicateAsync(owner);
        }

        BatchOutcome outcome;
        int bufferedBefore = owner.PointsBuffered;
        try
        {
            outcome = owner.AddPoints(batch.Points);
        }
        catch (NonFiniteModelException ex)
        {
            // Refused after seeding, the whole buffer it seeded on is gone with the batch, as in a single
            // process: count all of it, so that applied + buffered + refused stays the points taken.
            int refused = bufferedBefore + (batch.Points.Length / owner.Dimensions) - owner.PointsBuffered;
            LogRefused(Name, refused, ex.Message);
            _state.State.PointsRefused += refused;
            outcome = BatchOutcome.Refused;
        }

        return await PersistAsync(owner, batch.Producer, batch.Sequence, outcome);
    }

    /// <inheritdoc/>
    public async Task<BatchReceipt> ApplyStatistics(StatisticsBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ModelOwner owner = await OwnerAsync();
        CheckIncarnation(batch.Incarnation);
        if (IsDuplicate(batch.Producer, batch.Sequence))
        {
            return await DuplicateAsync(owner);
        }

        if (batch.BasedOnVersion < owner.Version)
        {
            _state.State.StaleBatches++;
        }

        BatchOutcome outcome = BatchOutcome.Applied;
        try
        {
            owner.Apply(batch.ToStatistics(owner.Clusters, owner.Dimensions), batch.Sample);
        }
        catch (NonFiniteModelException ex)
        {
            LogRefused(Name, batch.Points, ex.Message);
            _state.State.PointsRefused += batch.Points;
            outcome = BatchOutcome.Refused;
        }

        return await PersistAsync(owner, batch.Producer, batch.Sequence, outcome);
    }

    /// <inheritdoc/>
    public async Task<CentroidsView> GetCentroids(long knownVersion)
    {
        ModelOwner owner = await OwnerAsync();
        return new CentroidsView
        {
            Version = owner.Version,
            Seeded = owner.IsSeeded,
            Clusters = owner.Clusters,
            Centroids = owner.IsSeeded && knownVersion != owner.Version ? owner.Centroids.ToArray() : null,
            Incarnation = _state.State.Definition!.Incarnation,
        };
    }

    /// <inheritdoc/>
    public async Task<ModelSummary> GetSummary()
    {
        ModelOwner owner = await OwnerAsync();
        return new ModelSummary
        {
            Definition = _state.State.Definition!,
            Version = owner.Version,
            PointsApplied = owner.PointsApplied,
            PointsBuffered = owner.PointsBuffered,
            DuplicatesDropped = _state.State.DuplicatesDropped,
            StaleBatches = _state.State.StaleBatches,
            PointsRefused = _state.State.PointsRefused,
            Silo = RuntimeIdentity,
            StateJson = owner.ToState() is { } state ? ModelStateJson.Write(state) : null,
        };
    }

    /// <summary>Refuses a batch made for another incarnation of the model (deleted, its name defined again since).</summary>
    private void CheckIncarnation(string? incarnation)
    {
        if (incarnation is not null && incarnation != _state.State.Definition!.Incarnation)
        {
            throw new KeyNotFoundException($"The model '{Name}' was deleted and made again since these points were sent; they were not applied.");
        }
    }

    private bool IsDuplicate(string producer, long sequence) => ProducerLedger.IsDuplicate(_state.State, producer, sequence);

    private async Task<BatchReceipt> DuplicateAsync(ModelOwner owner)
    {
        _state.State.DuplicatesDropped++;
        LogDuplicate(Name, _state.State.DuplicatesDropped);
        await WriteAsync();
        return new BatchReceipt(BatchOutcome.Duplicate, owner.Version, owner.IsSeeded);
    }

    private async Task<BatchReceipt> PersistAsync(ModelOwner owner, string producer, long sequence, BatchOutcome outcome)
    {
        _state.State.Model = owner.ToState() is { } state ? ModelStateJson.Write(state) : null;
        _state.State.SeedBuffer = owner.SeedBuffer.ToArray();
        _state.State.SeedingRandomState = owner.SeedingRandomState;
        _producers.Record(_state.State, producer, sequence);
        await WriteAsync();
        return new BatchReceipt(outcome, owner.Version, owner.IsSeeded);
    }

    private async Task WriteAsync()
    {
        try
        {
            await _state.WriteStateAsync();
        }
        catch
        {
            _reload = true;
            _owner = null;
            throw;
        }
    }

    private async Task ReloadIfNeededAsync()
    {
        if (_reload)
        {
            await _state.ReadStateAsync();
            _reload = false;
        }
    }

    private async Task<ModelOwner> OwnerAsync()
    {
        await ReloadIfNeededAsync();
        if (_owner is null)
        {
            ClusterModelDefinition definition = _state.State.Definition
                ?? throw new KeyNotFoundException($"The model '{Name}' is not defined (or was deleted).");
            StreamingModelState? model = _state.State.Model is { } json ? ModelStateJson.Read(json) : null;
            _owner = ModelOwner.Restore(definition, model, _state.State.SeedBuffer, _time, _state.State.SeedingRandomState);
        }

        return _owner;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model '{Model}': {Points} points refused, the update would make the model non-finite: {Reason}")]
    private partial void LogRefused(string model, long points, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model '{Model}' activated on silo {Silo} (persisted state found: {Restored}).")]
    private partial void LogActivated(string model, string silo, bool restored);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model '{Model}' deleted: its persisted state is cleared.")]
    private partial void LogDeleted(string model);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model '{Model}': a duplicate batch was dropped ({Total} so far).")]
    private partial void LogDuplicate(string model, long total);
}
