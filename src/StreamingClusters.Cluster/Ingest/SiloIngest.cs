using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StreamingClusters.Cluster.Grains;
using StreamingClusters.Cluster.Messages;

namespace StreamingClusters.Cluster.Ingest;

/// <summary>
/// The points posted to this silo, for any model: one <see cref="ModelFeed"/> per model, each a
/// producer of its own, named by this silo's run and the feed's number in it (a feed made again, or a
/// silo that starts again, is a new producer: its sequence numbers start afresh and are never taken for
/// those of an earlier feed). Points posted here are E-stepped here; only statistics travel to the model's grain.
/// </summary>
public sealed class SiloIngest
{
    private readonly IGrainFactory _grains;
    private readonly ClusterIngestOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Task<ModelFeed>> _feeds = new(StringComparer.Ordinal);

    /// <summary>How many feeds this silo has made: each feed's producer name ends with its number.</summary>
    private long _feedsMade;

    /// <summary>Creates the silo's ingest.</summary>
    /// <param name="grains">Reaches the model grains.</param>
    /// <param name="options">How the feeds behave.</param>
    /// <param name="time">The clock of refreshes and resends.</param>
    public SiloIngest(IGrainFactory grains, IOptions<ClusterIngestOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _grains = grains;
        _options = options.Value;
        _time = time;
        Producer = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    }

    /// <summary>Gets this silo's name (unique to this run of the silo), the start of each of its feeds' producer names.</summary>
    public string Producer { get; }

    /// <summary>Defines a model (or checks that it is defined so already).</summary>
    /// <param name="name">The model's name.</param>
    /// <param name="definition">Its shape and options.</param>
    /// <returns>The definition in force.</returns>
    public Task<ClusterModelDefinition> DefineAsync(string name, ClusterModelDefinition definition) => Grain(name).Define(definition);

    /// <summary>Gets a model's grain.</summary>
    /// <param name="name">The model's name.</param>
    /// <returns>Its grain.</returns>
    public IModelGrain Grain(string name) => _grains.GetGrain<IModelGrain>(name);

    /// <summary>
    /// Takes points for a model. The answer comes once the model grain has written a state that covers
    /// them: applied to a persisted version, or held in the persisted seeding buffer before the model is seeded.
    /// </summary>
    /// <param name="name">The model's name.</param>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="cancellationToken">Stops waiting (the points may still be applied).</param>
    /// <returns>The grain's answer.</returns>
    /// <exception cref="KeyNotFoundException">
    /// No model of that name is defined, or it was deleted while the points were on their way (they were
    /// not applied, not even to a model made again under the name since).
    /// </exception>
    public Task<BatchReceipt> PostAsync(string name, ReadOnlyMemory<float> points, CancellationToken cancellationToken = default) =>
        PostAsync(name, Grains.ModelGrain.UnnamedSource, points, 0, cancellationToken);

    /// <summary>Drops this silo's feed of a model (deleted, or found to be of a deleted incarnation), so that the next use asks the grain again.</summary>
    /// <param name="name">The model's name.</param>
    /// <param name="feed">The feed to drop, or null for whatever feed the name has.</param>
    internal void Forget(string name, ModelFeed? feed = null)
    {
        if (_feeds.TryGetValue(name, out Task<ModelFeed>? held) && (feed is null || (held.IsCompletedSuccessfully && ReferenceEquals(held.Result, feed))))
        {
            _feeds.TryRemove(new KeyValuePair<string, Task<ModelFeed>>(name, held));
        }
    }

    /// <summary>
    /// Takes points for a model from a source, with the records of the same post this silo rejected (counted
    /// by the grain with the points, per source). The answer comes as for <see cref="PostAsync(string, ReadOnlyMemory{float}, CancellationToken)"/>.
    /// </summary>
    /// <param name="name">The model's name.</param>
    /// <param name="source">The source (<c>http</c>).</param>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="rejected">The records of the same post this silo rejected.</param>
    /// <param name="cancellationToken">Stops waiting (the points may still be applied).</param>
    /// <returns>The grain's answer.</returns>
    /// <exception cref="KeyNotFoundException">
    /// No model of that name is defined, or it was deleted while the points were on their way (they were
    /// not applied, not even to a model made again under the name since).
    /// </exception>
    public Task<BatchReceipt> PostAsync(string name, string source, ReadOnlyMemory<float> points, long rejected, CancellationToken cancellationToken = default) =>
        PostAsync(name, source, points, rejected, checkedAgainst: null, cancellationToken);

    /// <summary>
    /// Posts points read and checked against <paramref name="checkedAgainst"/>: they go only to a model
    /// that takes them as that definition did (the same d and limits on values and records), so points
    /// parsed for a model deleted meanwhile never reach one made again under the name with another shape.
    /// </summary>
    /// <param name="name">The model's name.</param>
    /// <param name="source">The source they are counted as.</param>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="rejected">The records of the same post this silo rejected.</param>
    /// <param name="checkedAgainst">The definition the records were read and checked against, or null.</param>
    /// <param name="cancellationToken">Stops waiting (the points may still be applied).</param>
    /// <returns>The grain's answer.</returns>
    /// <exception cref="KeyNotFoundException">
    /// No model of that name is defined, or it was deleted while the points were on their way, or the
    /// model the name has now would read them otherwise (they were not applied).
    /// </exception>
    public async Task<BatchReceipt> PostAsync(string name, string source, ReadOnlyMemory<float> points, long rejected, ClusterModelDefinition? checkedAgainst, CancellationToken cancellationToken = default)
    {
        // A feed of a deleted model is dropped; when that is found before the points are taken (the
        // refresh before them), they go once more to the model the name has now, through a new feed,
        // if that model reads them as the one they were checked against.
        for (int attempt = 0; ; attempt++)
        {
            ModelFeed feed = await FeedAsync(name);
            if (checkedAgainst is not null && !ReadsAlike(checkedAgainst, feed.Definition))
            {
                throw new KeyNotFoundException(
                    $"The model '{name}' was deleted and made again with d = {feed.Definition.Dimensions} or other limits on records while these points " +
                    $"(read for d = {checkedAgainst.Dimensions}) were on their way; they were not applied.");
            }

            try
            {
                return await feed.PostAsync(source, points, rejected, cancellationToken);
            }
            catch (StaleFeedException ex)
            {
                Forget(name, feed);
                if (attempt > 0)
                {
                    throw new KeyNotFoundException(ex.Message, ex);
                }
            }
            catch (KeyNotFoundException ex)
            {
                Forget(name, feed);
                throw new KeyNotFoundException($"The model '{name}' was deleted while these points were on their way; they were not applied.", ex);
            }
            catch (DuplicateBatchException)
            {
                // A new feed is a new producer, whose batches the grain does not confuse with any other's.
                Forget(name, feed);
                throw;
            }
        }
    }

    /// <summary>
    /// Counts records this silo rejected for a model: the grain counts them (per source) with this silo's
    /// next batch, or in a batch of their own under this producer's sequence, so once.
    /// </summary>
    /// <param name="name">The model's name.</param>
    /// <param name="source">The source.</param>
    /// <param name="rejected">How many records or points.</param>
    /// <param name="cancellationToken">Stops waiting (they may still be counted).</param>
    /// <returns>The grain's answer to the batch that carried them.</returns>
    /// <exception cref="KeyNotFoundException">No model of that name is defined.</exception>
    public async Task<BatchReceipt> RejectAsync(string name, string source, long rejected, CancellationToken cancellationToken = default)
    {
        ModelFeed feed = await FeedAsync(name);
        try
        {
            return await feed.RejectAsync(source, rejected, cancellationToken);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or DuplicateBatchException)
        {
            // Refused as counts of a deleted incarnation, or taken for another batch: the feed is dropped, as a post's would be.
            Forget(name, feed);
            throw;
        }
    }

    /// <summary>Asks the model's grain for its version now, and fetches its centroids when it moved.</summary>
    /// <param name="name">The model's name.</param>
    /// <returns>A task that completes when this silo holds the grain's current version.</returns>
    public async Task RefreshAsync(string name) => await (await FeedAsync(name)).RefreshAsync();

    /// <summary>
    /// Drops this silo's feed of a model unless it holds the given incarnation: a model found defined
    /// anew keeps a feed that already follows it (its producer's batches stay in sequence).
    /// </summary>
    /// <param name="name">The model's name.</param>
    /// <param name="incarnation">The incarnation the model has now.</param>
    internal void ForgetUnlessOf(string name, string? incarnation)
    {
        if (_feeds.TryGetValue(name, out Task<ModelFeed>? held)
            && !(held.IsCompletedSuccessfully && held.Result.Definition.Incarnation == incarnation))
        {
            _feeds.TryRemove(new KeyValuePair<string, Task<ModelFeed>>(name, held));
        }
    }

    /// <summary>Calls a grain again while its silo is failing over, for up to the send deadline.</summary>
    internal Task<T> CallAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken) =>
        GrainCalls.RetryAsync(call, _time, _options.SendDeadline, cancellationToken);

    internal async Task<ModelFeed> FeedAsync(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Task<ModelFeed> feed = _feeds.GetOrAdd(name, CreateFeedAsync);
        try
        {
            return await feed;
        }
        catch
        {
            // Not kept: the model may be defined later, or the grain may answer next time.
            _feeds.TryRemove(new KeyValuePair<string, Task<ModelFeed>>(name, feed));
            throw;
        }
    }

    private async Task<ModelFeed> CreateFeedAsync(string name)
    {
        IModelGrain grain = Grain(name);
        ClusterModelDefinition definition = await GrainCalls.RetryAsync(grain.GetDefinition, _time, _options.SendDeadline)
            ?? throw new KeyNotFoundException($"No model named '{name}' is defined.");
        // A producer per feed: a feed made again numbers its batches from 1, which the grain would drop
        // as duplicates of the earlier feed's if they shared a name.
        string producer = $"{Producer}/{Interlocked.Increment(ref _feedsMade)}";
        return new ModelFeed(grain, definition, producer, _options, _time);
    }

    private static bool ReadsAlike(ClusterModelDefinition a, ClusterModelDefinition b) =>
        a.Dimensions == b.Dimensions && a.MaxAbsoluteValue == b.MaxAbsoluteValue && a.MaxRecordLength == b.MaxRecordLength;
}
