using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamingClusters.Cluster.Ingest;
using StreamingClusters.Cluster.Messages;
using StreamingClusters.Model;
using StreamingClusters.Scaling;

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

    /// <summary>The source a batch's points are counted under when its silo named none.</summary>
    public const string UnnamedSource = "unnamed";

    /// <summary>Encodes the model's state, keeping what did not change since the last write (the events).</summary>
    private readonly ModelStateCodec _codec = new();

    private readonly IPersistentState<ModelGrainState> _state;
    private readonly TimeProvider _time;
    private readonly ILogger<ModelGrain> _logger;
    private readonly ProducerLedger _producers;

    /// <summary>The model, built from the persisted state on first use; null until then or after a failed write.</summary>
    private ModelOwner? _owner;

    /// <summary>Set when a write failed: the state in memory is ahead of the persisted one and must be read again.</summary>
    private bool _reload;

    /// <summary>
    /// The status of the state as persisted, for <see cref="GetStatus"/>: set when the owner is built from
    /// the persisted state and after every write; null before, and after a failed write or a deletion.
    /// </summary>
    private ModelStatus? _status;

    /// <summary>The read of the persisted state under way after a failed write, shared by the calls that wait for it.</summary>
    private Task? _reloading;

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
            _status = null;
            throw;
        }

        // The cleared state has no definition: until the grain deactivates, every batch is refused as
        // one to an undefined model, and the next activation reads the cleared state.
        _state.State = new ModelGrainState();
        _owner = null;
        _status = null;
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
        long count = batch.Points.Length / owner.Dimensions;
        try
        {
            outcome = owner.AddPoints(batch.Points);
        }
        catch (NonFiniteModelException ex)
        {
            // Refused after seeding, the whole buffer it seeded on is gone with the batch, as in a single
            // process: count all of it, so that applied + buffered + refused stays the points taken.
            int refused = bufferedBefore + (int)count - owner.PointsBuffered;
            LogRefused(Name, refused, ex.Message);
            _state.State.PointsRefused += refused;
            outcome = BatchOutcome.Refused;
        }

        SourceTally[] tallies = Tallies(batch.Sources, count);
        CountReceived(tallies);
        if (outcome == BatchOutcome.Buffered)
        {
            foreach (SourceTally tally in tallies)
            {
                _state.State.BufferedBySource[tally.Source] = _state.State.BufferedBySource.GetValueOrDefault(tally.Source) + tally.Points;
            }
        }
        else
        {
            // Seeded with this batch (the whole buffer applied or refused with it), or applied or refused alone.
            bool applied = outcome == BatchOutcome.Applied;
            foreach ((string source, long points) in _state.State.BufferedBySource)
            {
                CountOutcome(source, points, applied);
            }

            _state.State.BufferedBySource.Clear();
            foreach (SourceTally tally in tallies)
            {
                CountOutcome(tally.Source, tally.Points, applied);
            }

            if (applied)
            {
                RecordLastUpdate(owner);
            }
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

        if (batch.CountsOnly)
        {
            // Rejections of posts that had no valid point: counted under the same sequence, so once.
            CountReceived(batch.Sources);
            return await PersistAsync(owner, batch.Producer, batch.Sequence, BatchOutcome.Applied);
        }

        return await ApplyAsync(owner, batch.Producer, batch.Sequence, batch.BasedOnVersion, batch.Points, batch.Sources, () => owner.Apply(batch.ToStatistics(owner.Clusters, owner.Dimensions), batch.Sample));
    }

    /// <inheritdoc/>
    public async Task<BatchReceipt> ApplyMixtureStatistics(MixtureStatisticsBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ModelOwner owner = await OwnerAsync();
        CheckIncarnation(batch.Incarnation);
        if (IsDuplicate(batch.Producer, batch.Sequence))
        {
            return await DuplicateAsync(owner);
        }

        return await ApplyAsync(owner, batch.Producer, batch.Sequence, batch.BasedOnVersion, batch.Points, batch.Sources, () => owner.Apply(batch.ToStatistics(owner.Centroids, owner.Clusters, owner.Dimensions), batch.Sample));
    }

    /// <summary>
    /// Applies a batch of statistics E-stepped on a silo (k-means or mixture alike): counts it stale when
    /// assigned against an older version, refuses it whole when the update would make the model non-finite
    /// or the batch lacks its sample, counts its sources' points either way, and persists before answering.
    /// </summary>
    private async Task<BatchReceipt> ApplyAsync(ModelOwner owner, string producer, long sequence, long basedOnVersion, long points, SourceTally[]? sources, Action apply)
    {
        if (basedOnVersion < owner.Version)
        {
            _state.State.StaleBatches++;
        }

        BatchOutcome outcome = BatchOutcome.Applied;
        try
        {
            apply();
            RecordLastUpdate(owner);
        }
        catch (NonFiniteModelException ex)
        {
            LogRefused(Name, points, ex.Message);
            _state.State.PointsRefused += points;
            outcome = BatchOutcome.Refused;
        }
        catch (BatchWithoutSampleException ex)
        {
            // Answered (and counted) as refused, so that the silo that sent it does not send it again.
            LogWithoutSample(Name, points, ex.Message);
            _state.State.PointsRefused += points;
            outcome = BatchOutcome.Refused;
        }

        SourceTally[] tallies = Tallies(sources, points);
        CountReceived(tallies);
        foreach (SourceTally tally in tallies)
        {
            CountOutcome(tally.Source, tally.Points, outcome == BatchOutcome.Applied);
        }

        return await PersistAsync(owner, producer, sequence, outcome);
    }

    /// <inheritdoc/>
    public async Task<CentroidsView> GetCentroids(long knownVersion)
    {
        ModelOwner owner = await OwnerAsync();
        bool centroids = owner.IsSeeded && knownVersion != owner.Version;

        // An asker that holds no version has no scaling either; one that holds a version has it already.
        ColumnScaling? scaling = centroids && knownVersion < 0 ? owner.Scaling : null;
        return new CentroidsView
        {
            Version = owner.Version,
            Seeded = owner.IsSeeded,
            Clusters = owner.Clusters,
            Centroids = centroids ? owner.Centroids.ToArray() : null,
            ScalingMean = scaling?.Mean.ToArray(),
            ScalingStd = scaling?.Std.ToArray(),
            Variances = centroids && !owner.Variances.IsEmpty ? owner.Variances.ToArray() : null,
            Priors = centroids && !owner.Priors.IsEmpty ? owner.Priors.ToArray() : null,
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
            PointsRejected = _state.State.PointsRejected,
            Sources = new Dictionary<string, SourceCounts>(_state.State.Sources, StringComparer.Ordinal),
            LastBatchPoints = _state.State.LastBatchPoints,
            LastBatchSquaredError = _state.State.LastBatchSquaredError,
            LastReseeds = _state.State.LastReseeds,
            Silo = RuntimeIdentity,

            // The state as last persisted: it covers every batch answered, and is not encoded again. A model
            // given its initial centroids is seeded from its definition but has no state persisted until its
            // first batch: its state is then the definition's, encoded here, so that it is read as seeded
            // (GET /models/{name}, /healthz, snapshots) as GetCentroids and scores have it (see PersistAsync
            // for why it is not persisted). A codec of its own leaves the grain's as last written.
            State = _state.State.Model ?? (owner.ToState() is { } seeded ? new ModelStateCodec().Write(seeded) : null),
        };
    }

    /// <inheritdoc/>
    public async Task<ModelStatus> GetStatus()
    {
        if (_status is { } status)
        {
            // Interleaved with a batch perhaps: the status of the last write, not of the model in memory.
            return status;
        }

        // None since the activation, a failed write or a deletion: no batch is in flight between its
        // reload and its write here, so the owner built now is the persisted state.
        ModelOwner owner = await OwnerAsync();
        return _status ??= Status(owner);
    }

    private ModelStatus Status(ModelOwner owner) => new()
    {
        Definition = _state.State.Definition!,
        Seeded = owner.IsSeeded,
        Version = owner.Version,
        PointsApplied = owner.PointsApplied,
        PointsRejected = _state.State.PointsRefused + _state.State.PointsRejected,
    };

    /// <summary>The sources of a batch; a batch from a silo that named none is counted under <see cref="UnnamedSource"/>.</summary>
    private static SourceTally[] Tallies(SourceTally[]? sources, long points) =>
        sources is { Length: > 0 } ? sources : points > 0 ? [new SourceTally(UnnamedSource, points, 0)] : [];

    private void CountReceived(IEnumerable<SourceTally> tallies)
    {
        foreach (SourceTally tally in tallies)
        {
            SourceCounts counts = _state.State.Sources.GetValueOrDefault(tally.Source);
            _state.State.Sources[tally.Source] = counts with
            {
                Received = counts.Received + tally.Points + tally.Rejected,
                Rejected = counts.Rejected + tally.Rejected,
            };
            _state.State.PointsRejected += tally.Rejected;
        }
    }

    private void CountOutcome(string source, long points, bool applied)
    {
        SourceCounts counts = _state.State.Sources.GetValueOrDefault(source);
        _state.State.Sources[source] = applied
            ? counts with { Applied = counts.Applied + points }
            : counts with { Rejected = counts.Rejected + points };
    }

    private void RecordLastUpdate(ModelOwner owner)
    {
        if (owner.LastUpdate is { } update)
        {
            _state.State.LastBatchPoints = update.Points;
            _state.State.LastBatchSquaredError = update.SquaredError;
            _state.State.LastReseeds = [.. update.Reseeds.Select(r => new ReseedRecord(r.Cluster, r.PreviousWeight, r.NewWeight, r.RetiredId, r.NewId))];
        }
    }

    /// <summary>
    /// Refuses a batch made for another incarnation of the model (deleted, its name defined again since).
    /// Strictly: a batch without one matches only a model without one (defined before models had
    /// incarnations), never a model made again under the name, which always has one.
    /// </summary>
    private void CheckIncarnation(string? incarnation)
    {
        if (!string.Equals(incarnation, _state.State.Definition!.Incarnation, StringComparison.Ordinal))
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
        // A model still as its definition made it (its initial centroids, no batch applied) is not persisted:
        // restored from the definition it records the "seeded" events with its first batch, as a single
        // process does; restored from its state it would not (they are not part of it).
        bool definitionOnly = owner.Version == 0 && _state.State.Definition!.InitialCentroids is not null;
        _state.State.Model = !definitionOnly && owner.ToState() is { } state ? _codec.Write(state) : null;
        if (_state.State.SeedBuffer.Length != 0 || !owner.SeedBuffer.IsEmpty)
        {
            // Once seeded the buffer stays empty: nothing to copy.
            _state.State.SeedBuffer = owner.SeedBuffer.ToArray();
        }

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
            _status = null;
            throw;
        }

        // What is persisted now (a definition alone has no owner yet: its status is made on first ask).
        _status = _owner is { } owner ? Status(owner) : null;
    }

    /// <summary>
    /// Reads the persisted state again after a failed write. One read at a time: <see cref="GetStatus"/>
    /// interleaves with the other calls, and a second read finishing after a batch changed the state would
    /// replace the state that batch is about to write.
    /// </summary>
    private Task ReloadIfNeededAsync()
    {
        if (!_reload)
        {
            return Task.CompletedTask;
        }

        // A read that failed is done: the next call reads again.
        return _reloading is { IsCompleted: false } pending ? pending : _reloading = ReloadAsync();
    }

    private async Task ReloadAsync()
    {
        await _state.ReadStateAsync();
        _reload = false;
    }

    private async Task<ModelOwner> OwnerAsync()
    {
        await ReloadIfNeededAsync();
        if (_owner is null)
        {
            ClusterModelDefinition definition = _state.State.Definition
                ?? throw new KeyNotFoundException($"The model '{Name}' is not defined (or was deleted).");
            StreamingModelState? model = _state.State.Model is { } bytes ? ModelStateCodec.Read(bytes) : null;
            _owner = ModelOwner.Restore(definition, model, _state.State.SeedBuffer, _time, _state.State.SeedingRandomState);
            _status = Status(_owner);
        }

        return _owner;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model '{Model}': {Points} points refused, the update would make the model non-finite: {Reason}")]
    private partial void LogRefused(string model, long points, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model '{Model}': {Points} points refused: {Reason}")]
    private partial void LogWithoutSample(string model, long points, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model '{Model}' activated on silo {Silo} (persisted state found: {Restored}).")]
    private partial void LogActivated(string model, string silo, bool restored);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model '{Model}' deleted: its persisted state is cleared.")]
    private partial void LogDeleted(string model);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model '{Model}': a duplicate batch was dropped ({Total} so far).")]
    private partial void LogDuplicate(string model, long total);
}
