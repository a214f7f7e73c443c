using StreamingClusters.Models;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// GET /healthz in cluster mode, one per worker. Once default has been ready on this worker, the models
/// are read at most once per <see cref="CacheFor"/> (before that, a round under way is shared, one done is not; one round of small calls, <see cref="ModelsHealth"/>),
/// whatever the number of probes: every probe within it shares the round. The answer speaks of this worker: 503 "starting"
/// until the model default has answered seeded once here (503 "unavailable" when, before that, it did
/// not answer); from then on 200 — "ready" while default answers seeded, "degraded" when it did not
/// answer in time (its silo failing over, say: the cluster still serves the other models and takes
/// points for default once its grain is back) — unless nothing of the cluster answered this worker in
/// the round (neither the names nor any model): then 503 "unavailable", since this worker is then cut
/// off from the cluster (its silo out of it, or the cluster's storage away). The models' series of
/// /metrics read the same rounds (<see cref="Latest"/>), without ever waiting for one.
/// </summary>
internal sealed class ClusterHealth
{
    /// <summary>How long a round of readings answers the probes.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly Lock _gate = new();
    private Task<ModelsReading>? _round;
    private long _roundStarted;

    /// <summary>The reading of the latest round started that has completed, and when that round started; null before any.</summary>
    private (ModelsReading Reading, long Started)? _last;

    /// <summary>Whether default has answered seeded once on this worker (it never goes back to unseeded).</summary>
    private volatile bool _readyOnce;

    /// <summary>Creates the probe's state.</summary>
    /// <param name="time">The clock of the cache and the bounds.</param>
    /// <param name="timeout">How long a round waits for the names, and then for the models.</param>
    public ClusterHealth(TimeProvider time, TimeSpan timeout)
    {
        _time = time;
        _timeout = timeout;
    }

    /// <summary>Reads the models (or takes the round under way or just done) and says what the probe answers.</summary>
    /// <param name="catalog">The cluster's models.</param>
    /// <param name="cancellationToken">The request's token: it stops this probe's wait, not the round others share.</param>
    /// <returns>The status, default's version and every model's state.</returns>
    public async Task<ClusterHealthReading> ReadAsync(IModelCatalog catalog, CancellationToken cancellationToken)
    {
        Task<ModelsReading> round;
        lock (_gate)
        {
            // A round under way is always shared. Until default was ready here a finished round answers no
            // later probe, so that a starting worker goes into rotation as soon as default is seeded.
            // Elapsed time, not the wall clock: a clock stepped back must not keep an old answer.
            long now = _time.GetTimestamp();
            TimeSpan cacheFor = _readyOnce ? CacheFor : TimeSpan.Zero;
            if (_round is null || (_round.IsCompleted && _time.GetElapsedTime(_roundStarted, now) >= cacheFor))
            {
                // Not the request's token: the round is shared, and one probe that goes away must not fail it for the rest.
                _round = RoundAsync(catalog, now);
                _roundStarted = now;
            }

            round = _round;
        }

        ModelsReading reading = await round.WaitAsync(cancellationToken);
        ModelHealth? model = reading.Models.FirstOrDefault(m => m.Name == ModelName.Default);
        if (model?.Status == "ready")
        {
            _readyOnce = true;
        }

        bool reached = reading.NamesAnswered || reading.Models.Any(m => m.Status != "unanswered");
        string status = model?.Status switch
        {
            "ready" => "ready",
            "starting" => "starting",
            _ when _readyOnce && reached => "degraded",
            _ => "unavailable",
        };
        return new ClusterHealthReading(status, model?.Version ?? -1, reading.Models);
    }

    /// <summary>
    /// Gives the last reading at once, and starts a round when none is under way and the last one started
    /// <see cref="CacheFor"/> ago or more: what a scrape of /metrics reads, since an instrument's callback
    /// is synchronous and must not wait on the cluster. A round under way is not doubled, however slow.
    /// </summary>
    /// <param name="catalog">The cluster's models.</param>
    /// <returns>The reading of the latest round completed, or null before any has.</returns>
    public ModelsReading? Latest(IModelCatalog catalog)
    {
        lock (_gate)
        {
            long now = _time.GetTimestamp();
            if (_round is null || (_round.IsCompleted && _time.GetElapsedTime(_roundStarted, now) >= CacheFor))
            {
                // On the pool: whatever the catalog does before its first await, the scrape does not wait for it.
                _round = Task.Run(() => RoundAsync(catalog, now));
                _roundStarted = now;
            }

            return _last?.Reading;
        }
    }

    /// <summary>Gets the round under way or last done (for tests: the signal that a reading is in).</summary>
    internal Task<ModelsReading>? Round
    {
        get
        {
            lock (_gate)
            {
                return _round;
            }
        }
    }

    private async Task<ModelsReading> RoundAsync(IModelCatalog catalog, long started)
    {
        ModelsReading reading = await ModelsHealth.ReadRoundAsync(catalog, _timeout, _time, CancellationToken.None);
        lock (_gate)
        {
            // Rounds may overlap (a scrape's and a probe's): an older one ending later does not replace a newer reading.
            if (_last is not { } last || last.Started <= started)
            {
                _last = (reading, started);
            }
        }

        return reading;
    }
}

/// <summary>What GET /healthz answers in cluster mode.</summary>
/// <param name="Status">ready, degraded (200); starting, unavailable (503).</param>
/// <param name="Version">default's version, −1 before seeding or when it did not answer.</param>
/// <param name="Models">Every model's state.</param>
internal sealed record ClusterHealthReading(string Status, long Version, IReadOnlyList<ModelHealth> Models)
{
    /// <summary>Gets a value indicating whether the worker is to be kept in rotation (200).</summary>
    public bool Serving => Status is "ready" or "degraded";
}
