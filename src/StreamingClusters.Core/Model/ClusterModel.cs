using StreamingClusters.EStep;
using StreamingClusters.Randomness;
using StreamingClusters.Reference;
using StreamingClusters.Seeding;
using StreamingClusters.Statistics;

namespace StreamingClusters.Model;

/// <summary>
/// The model owner: k centroids with their weights, updated by the streaming M-step
/// w' = a·w + n, μ' = (a·w·μ + s) / w'. Centroids are kept in double precision; each version is
/// published to the E-step as an immutable <see cref="CentroidSet"/>. Not thread-safe: one writer
/// applies updates, any number of readers use <see cref="Current"/>.
/// </summary>
public sealed class ClusterModel
{
    // The next version is computed into the _next arrays, then the two sets swap: nothing outside
    // holds these arrays (the views hand out spans, the state and the snapshots copies), so the
    // committed version never has to be copied back.
    private double[] _centroids;
    private double[] _weights;
    private double[] _inertia;
    private double[] _nextCentroids;
    private double[] _nextWeights;
    private double[] _nextInertia;
    private readonly ModelRandom _random;

    /// <summary>Each slot's cluster id (set when the model is seeded, replaced when the slot is reseeded or split off; never reused) and the latest changes of ids.</summary>
    private readonly ClusterIdentities _ids;

    /// <summary>Per slot, the last version a repair may not remove the cluster in (held still beside a move).</summary>
    private readonly long[] _heldUntil;

    /// <summary>Per slot, the cluster's weight after the last batch that gave it its share (its weight since, when it gets none, tells a paused mode from a dead one).</summary>
    private readonly double[] _fedWeights;

    /// <summary>The least utility the repair's last look found (a lower bound of the next, as moves remove the least): a recent split worth more looks at once; +∞ before any look.</summary>
    private double _lastLeastUtility = double.PositiveInfinity;

    /// <summary>The spread splits the repair measured and refused in a row (0 after any move), and the first version it may measure one again.</summary>
    private (int Misses, long Resumes) _spreadBackoff;

    /// <summary>The group the repair follows, arriving at a cluster apart from its past; null when none (or after any move).</summary>
    private ArrivingGroupState? _group;

    /// <summary>The seeding's events, made when the centroids are set and stamped with the version of the first update.</summary>
    private List<(int Slot, string Reason)>? _seedingEvents;

    /// <summary>The committed version; null until seeded. Replaced, never mutated, so readers on other threads see a whole version.</summary>
    private volatile CentroidSet? _current;

    /// <summary>Creates an unseeded model.</summary>
    /// <param name="settings">The model's shape and options.</param>
    public ClusterModel(ModelSettings settings)
        : this(settings, new ModelRandom(settings?.Seed ?? 0))
    {
    }

    private ClusterModel(ModelSettings settings, ModelRandom random)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        Settings = settings;
        int size = checked(settings.Clusters * settings.Dimensions);
        _centroids = new double[size];
        _nextCentroids = new double[size];
        _weights = new double[settings.Clusters];
        _nextWeights = new double[settings.Clusters];
        _inertia = new double[settings.Clusters];
        _nextInertia = new double[settings.Clusters];
        _ids = new ClusterIdentities(settings.Clusters);
        _heldUntil = new long[settings.Clusters];
        _fedWeights = new double[settings.Clusters];
        _random = random;
    }

    /// <summary>Gets the model's shape and options.</summary>
    public ModelSettings Settings { get; }

    /// <summary>Gets the number of clusters k.</summary>
    public int Clusters => Settings.Clusters;

    /// <summary>Gets the dimension d.</summary>
    public int Dimensions => Settings.Dimensions;

    /// <summary>Gets the number of M-steps applied so far.</summary>
    public long Version { get; private set; }

    /// <summary>Gets the number of points applied so far.</summary>
    public long PointsApplied { get; private set; }

    /// <summary>Gets a value indicating whether the centroids are set (seeded, configured or restored).</summary>
    public bool IsSeeded => _current is not null;

    /// <summary>Gets the current version for the E-step.</summary>
    /// <exception cref="InvalidOperationException">The model is not seeded yet.</exception>
    public CentroidSet Current => _current ?? throw new InvalidOperationException("The model has no centroids until it is seeded.");

    /// <summary>Gets the committed version for readers on any thread, or null before seeding.</summary>
    public CentroidSet? Published => _current;

    /// <summary>Gets the centroids in double precision, k × d, row-major.</summary>
    public ReadOnlySpan<double> Centroids => _centroids;

    /// <summary>Gets each cluster's weight w_c.</summary>
    public ReadOnlySpan<double> Weights => _weights;

    /// <summary>Gets each cluster's discounted sum of squared distances (its share of the objective).</summary>
    public ReadOnlySpan<double> Inertia => _inertia;

    /// <summary>Gets each slot's cluster id (all 0 before seeding).</summary>
    public ReadOnlySpan<long> Ids => _ids.Ids;

    /// <summary>The most changes of ids kept in <see cref="RecentEvents"/> and the state.</summary>
    public const int RecentEventCapacity = ClusterIdentities.RecentEventCapacity;

    /// <summary>Gets the latest changes of ids, oldest first (at most <see cref="RecentEventCapacity"/>), restored ones included.</summary>
    public IReadOnlyCollection<ClusterEvent> RecentEvents => _ids.Recent;

    /// <summary>Restores a model from its state.</summary>
    /// <param name="state">A state taken by <see cref="ToState"/>.</param>
    /// <returns>A model that continues exactly where the state was taken.</returns>
    public static ClusterModel Restore(ClusterModelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var model = new ClusterModel(state.Settings, ModelRandom.FromState(state.RandomState));
        int k = state.Settings.Clusters;
        if (state.Centroids.Length != model._centroids.Length || state.Weights.Length != k || state.Inertia.Length != k)
        {
            throw new ArgumentException(
                $"The state's arrays do not fit its shape (k={k}, d={state.Settings.Dimensions}).", nameof(state));
        }

        state.Centroids.CopyTo(model._centroids, 0);
        state.Weights.CopyTo(model._weights, 0);
        state.Inertia.CopyTo(model._inertia, 0);
        int bad = FirstNonFinite(model._centroids, model._weights, model._inertia, model.Dimensions);
        if (bad >= 0)
        {
            throw new NonFiniteModelException(bad, state.Version);
        }

        model.Version = state.Version;
        model.PointsApplied = state.PointsApplied;
        model._ids.Restore(state.Ids, state.NextId, state.Seeded, state.RecentEvents);

        if (state.HeldUntil is { } held && held.Length == k)
        {
            held.CopyTo(model._heldUntil, 0);
        }

        (state.FedWeights is { } fed && fed.Length == k ? fed : state.Weights).CopyTo(model._fedWeights, 0);

        model._lastLeastUtility = state.RepairLeastUtility ?? double.PositiveInfinity;
        model._spreadBackoff = (state.RepairSpreadMisses ?? 0, state.RepairSpreadResumes ?? 0);
        model._group = state.RepairGroup is { } group && group.Slot >= 0 && group.Slot < k && group.Mean.Length == model.Dimensions && group.PastCentroid.Length == model.Dimensions ? group : null;

        if (state.Seeded)
        {
            model._current = new CentroidSet(model._centroids, k, state.Version);
        }

        return model;
    }

    /// <summary>Takes the model's whole state.</summary>
    /// <returns>Copies of every array and the generator's state.</returns>
    public ClusterModelState ToState() => new()
    {
        Settings = Settings,
        Version = Version,
        Seeded = IsSeeded,
        Centroids = (double[])_centroids.Clone(),
        Weights = (double[])_weights.Clone(),
        Inertia = (double[])_inertia.Clone(),
        PointsApplied = PointsApplied,
        Ids = _ids.Ids.ToArray(),
        NextId = _ids.Next,
        RecentEvents = [.. _ids.Recent],
        HeldUntil = (long[])_heldUntil.Clone(),
        FedWeights = (double[])_fedWeights.Clone(),
        RepairLeastUtility = double.IsFinite(_lastLeastUtility) ? _lastLeastUtility : null,
        RepairSpreadMisses = _spreadBackoff.Misses,
        RepairSpreadResumes = _spreadBackoff.Resumes,
        RepairGroup = _group,
        RandomState = _random.GetState(),
    };

    /// <summary>
    /// Seeds the centroids from a buffer of the first points: greedy k-means++, then Lloyd iterations on
    /// the buffer, the best of <see cref="ModelSettings.SeedingStarts"/> such starts, then breathing k-means
    /// (<see cref="BufferSeeding"/>). Weights stay 0: apply the buffer as the first batch afterwards so it is not lost.
    /// </summary>
    /// <param name="buffer">n × d values, row-major, n ≥ k distinct points.</param>
    /// <exception cref="InsufficientDistinctPointsException">The buffer holds fewer than k distinct points.</exception>
    public void Seed(ReadOnlySpan<float> buffer) => Seed(buffer, parallelism: 1);

    /// <summary>As <see cref="Seed(ReadOnlySpan{float})"/>, weighing k-means++ candidates on up to <paramref name="parallelism"/> threads (the same seeds).</summary>
    /// <param name="buffer">n × d values, row-major, n ≥ k distinct points.</param>
    /// <param name="parallelism">The most threads to use, from 1.</param>
    /// <exception cref="InsufficientDistinctPointsException">The buffer holds fewer than k distinct points.</exception>
    public void Seed(ReadOnlySpan<float> buffer, int parallelism)
    {
        EnsureUnseeded();
        var plan = new BufferSeedingPlan
        {
            Candidates = Settings.SeedingCandidates,
            RefineIterations = Settings.RefineIterations,
            Starts = Settings.SeedingStarts,
            Breaths = Settings.SeedingBreaths,
            BreathingDepth = Settings.BreathingDepth,
        };
        LastSeeding = BufferSeeding.Seed(buffer, Dimensions, Clusters, _random, plan, parallelism);
        SetCentroids(LastSeeding.Centroids);
        string reason = FormattableString.Invariant($"k-means++ on the first {buffer.Length / Dimensions} points");
        if (plan.Starts > 1 || LastSeeding.BreathsTried > 0)
        {
            reason += FormattableString.Invariant($" (best of {plan.Starts} start{(plan.Starts == 1 ? "" : "s")}, {LastSeeding.BreathsKept} of {LastSeeding.BreathsTried} breaths kept)");
        }
        _seedingEvents = [.. Enumerable.Range(0, Clusters).Select(c => (c, reason))];
    }

    /// <summary>Gets how this model's seeding went (null unless <see cref="Seed(ReadOnlySpan{float}, int)"/> ran in this process).</summary>
    public BufferSeedingResult? LastSeeding { get; private set; }

    /// <summary>Sets the centroids directly (from configuration); weights stay 0.</summary>
    /// <param name="centroids">k × d finite values.</param>
    public void SetCentroids(ReadOnlySpan<double> centroids)
    {
        EnsureUnseeded();
        if (centroids.Length != _centroids.Length)
        {
            throw new ArgumentException($"Expected {Clusters} × {Dimensions} = {_centroids.Length} centroid values, got {centroids.Length}.", nameof(centroids));
        }

        for (int i = 0; i < centroids.Length; i++)
        {
            if (!double.IsFinite(centroids[i]))
            {
                throw new ArgumentException($"Centroid {i / Dimensions} has a non-finite coordinate.", nameof(centroids));
            }
        }

        centroids.CopyTo(_centroids);
        _ids.Number();
        _seedingEvents = [.. Enumerable.Range(0, Clusters).Select(c => (c, "configured centroid"))];
        _current = new CentroidSet(_centroids, Clusters, Version);
    }

    /// <summary>
    /// The streaming M-step: discounts every weight by <paramref name="discount"/>, moves each centroid
    /// to the weighted mean of its old position and the batch's points, then reseeds starved clusters
    /// from <paramref name="recentPoints"/> by D² sampling. The update is refused, and the model left
    /// as it was, if any value would be non-finite.
    /// </summary>
    /// <param name="statistics">The batch's statistics against <see cref="Current"/>.</param>
    /// <param name="discount">The discount a ∈ (0, 1].</param>
    /// <param name="recentPoints">The batch's points (m × d), candidates for reseeding; may be empty.</param>
    /// <returns>What the step did.</returns>
    /// <exception cref="NonFiniteModelException">The update would make the model non-finite.</exception>
    public ModelUpdate Apply(ClusterStatistics statistics, double discount, ReadOnlySpan<float> recentPoints)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        if (!(discount > 0 && discount <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(discount), discount, "The discount must be in (0, 1].");
        }

        if (statistics.Clusters != Clusters || statistics.Dimensions != Dimensions)
        {
            throw new ArgumentException(
                $"Statistics of shape (k={statistics.Clusters}, d={statistics.Dimensions}) do not match the model (k={Clusters}, d={Dimensions}).",
                nameof(statistics));
        }

        if (recentPoints.Length % Dimensions != 0)
        {
            // Checked before anything changes: the reseed reads these points after the update is committed.
            throw new ArgumentException($"Recent points of d = {Dimensions} must hold a multiple of {Dimensions} values, got {recentPoints.Length}.", nameof(recentPoints));
        }

        _ = Current;
        if (!Update(statistics, discount))
        {
            throw new NonFiniteModelException(FirstNonFinite(_nextCentroids, _nextWeights, _nextInertia, Dimensions), Version + 1);
        }

        (_centroids, _nextCentroids) = (_nextCentroids, _centroids);
        (_weights, _nextWeights) = (_nextWeights, _weights);
        (_inertia, _nextInertia) = (_nextInertia, _inertia);
        var events = new List<ClusterEvent>();
        long version = Version + 1;
        foreach ((int slot, string reason) in _seedingEvents ?? [])
        {
            events.Add(new ClusterEvent(ClusterEventKind.Seeded, version, slot, null, _ids[slot], reason));
        }

        _seedingEvents = null;
        IReadOnlyList<ReseedEvent> reseeds = ReseedStarved(recentPoints, version, events);
        if (Settings.Repair)
        {
            RepairOnce(statistics, discount, reseeds, recentPoints, version, events);
            // A cluster a move made or changed (held from this version) starts afresh, as does a reseeded one.
            long moved = version + Settings.RepairHold;
            for (int c = 0; c < Clusters; c++)
            {
                if (ClusterRepair.Fed(_weights[c], statistics.Counts[c], discount) || _heldUntil[c] == moved)
                {
                    _fedWeights[c] = _weights[c];
                }
            }

            foreach (ReseedEvent reseed in reseeds)
            {
                _fedWeights[reseed.Cluster] = _weights[reseed.Cluster];
            }
        }

        Version = version;
        PointsApplied += statistics.TotalCount;
        _current = new CentroidSet(_centroids, Clusters, Version);
        foreach (ClusterEvent e in events)
        {
            _ids.Remember(e);
        }

        return new ModelUpdate(Version, statistics.TotalCount, discount, statistics.TotalSquaredError, reseeds) { Events = events };
    }

    /// <summary>
    /// Computes the next version into the _next arrays: w' = a·w + n, e' = a·e + e_batch and, for a
    /// cluster with points and w' &gt; 0, μ' = (a·w·μ + s) / w' (otherwise μ' = μ). The vector paths
    /// round exactly as the scalar expression does (a product, then a sum, then a true division; no
    /// fused multiply-add, no reciprocal), so every value is bit for bit the scalar one.
    /// </summary>
    /// <returns>false when some value of the next version is not finite.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Update(ClusterStatistics statistics, double discount)
    {
        int k = Clusters;
        int d = Dimensions;
        ReadOnlySpan<long> counts = statistics.Counts;
        ReadOnlySpan<double> squaredErrors = statistics.SquaredErrors;
        ReadOnlySpan<double> sums = statistics.Sums;
        ref double mu = ref MemoryMarshal.GetArrayDataReference(_centroids);
        ref double next = ref MemoryMarshal.GetArrayDataReference(_nextCentroids);
        ref double s = ref MemoryMarshal.GetReference(sums);

        // x·0 is 0 for a finite x and NaN otherwise, and NaN survives the sums: one test at the end
        // stands for a test of every value.
        double poison = 0;
        var poison512 = Vector512<double>.Zero;
        var poison256 = Vector256<double>.Zero;
        for (int c = 0; c < k; c++)
        {
            long n = counts[c];
            double kept = discount * _weights[c];
            double w = kept + n;
            double inertia = (discount * _inertia[c]) + squaredErrors[c];
            _nextWeights[c] = w;
            _nextInertia[c] = inertia;
            poison += (w * 0) + (inertia * 0);
            nuint row = (nuint)c * (nuint)d;
            int j = 0;
            if (n == 0 || w <= 0)
            {
                // Copied as they are, and checked too: a restored or reseeded centroid is finite already,
                // but the check costs nothing next to the copy.
                if (Vector512.IsHardwareAccelerated)
                {
                    for (; j <= d - Vector512<double>.Count; j += Vector512<double>.Count)
                    {
                        Vector512<double> m = Vector512.LoadUnsafe(ref mu, row + (nuint)j);
                        m.StoreUnsafe(ref next, row + (nuint)j);
                        poison512 += m * Vector512<double>.Zero;
                    }
                }
                else if (Vector256.IsHardwareAccelerated)
                {
                    for (; j <= d - Vector256<double>.Count; j += Vector256<double>.Count)
                    {
                        Vector256<double> m = Vector256.LoadUnsafe(ref mu, row + (nuint)j);
                        m.StoreUnsafe(ref next, row + (nuint)j);
                        poison256 += m * Vector256<double>.Zero;
                    }
                }

                for (; j < d; j++)
                {
                    double m = Unsafe.Add(ref mu, row + (nuint)j);
                    Unsafe.Add(ref next, row + (nuint)j) = m;
                    poison += m * 0;
                }

                continue;
            }

            if (Vector512.IsHardwareAccelerated)
            {
                var keptVector = Vector512.Create(kept);
                var wVector = Vector512.Create(w);
                for (; j <= d - Vector512<double>.Count; j += Vector512<double>.Count)
                {
                    Vector512<double> m = Vector512.LoadUnsafe(ref mu, row + (nuint)j);
                    Vector512<double> sum = Vector512.LoadUnsafe(ref s, row + (nuint)j);
                    Vector512<double> updated = ((keptVector * m) + sum) / wVector;
                    updated.StoreUnsafe(ref next, row + (nuint)j);
                    poison512 += updated * Vector512<double>.Zero;
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var keptVector = Vector256.Create(kept);
                var wVector = Vector256.Create(w);
                for (; j <= d - Vector256<double>.Count; j += Vector256<double>.Count)
                {
                    Vector256<double> m = Vector256.LoadUnsafe(ref mu, row + (nuint)j);
                    Vector256<double> sum = Vector256.LoadUnsafe(ref s, row + (nuint)j);
                    Vector256<double> updated = ((keptVector * m) + sum) / wVector;
                    updated.StoreUnsafe(ref next, row + (nuint)j);
                    poison256 += updated * Vector256<double>.Zero;
                }
            }

            for (; j < d; j++)
            {
                double updated = ((kept * Unsafe.Add(ref mu, row + (nuint)j)) + Unsafe.Add(ref s, row + (nuint)j)) / w;
                Unsafe.Add(ref next, row + (nuint)j) = updated;
                poison += updated * 0;
            }
        }

        return poison == 0 && Vector512.EqualsAll(poison512, Vector512<double>.Zero) && Vector256.EqualsAll(poison256, Vector256<double>.Zero);
    }

    /// <summary>Makes the repair's move, if one is worth it (see <see cref="ClusterRepair"/>).</summary>
    private void RepairOnce(ClusterStatistics statistics, double discount, IReadOnlyList<ReseedEvent> reseeds, ReadOnlySpan<float> recentPoints, long version, List<ClusterEvent> events)
    {
        var reseeded = new bool[Clusters];
        foreach (ReseedEvent reseed in reseeds)
        {
            reseeded[reseed.Cluster] = true;
        }

        // After the swap the _next arrays hold the version the batch was assigned against.
        var inputs = new RepairInputs
        {
            Centroids = _centroids,
            Weights = _weights,
            Inertia = _inertia,
            PreviousCentroids = _nextCentroids,
            PreviousWeights = _nextWeights,
            PreviousInertia = _nextInertia,
            HeldUntil = _heldUntil,
            FedWeights = _fedWeights,
            Reseeded = reseeded,
            LastLeastUtility = _lastLeastUtility,
            Group = _group,
            SpreadMisses = _spreadBackoff.Misses,
            SpreadResumes = _spreadBackoff.Resumes,
        };
        RepairMove? found = ClusterRepair.Find(
            inputs, statistics, discount, version, look: version % Settings.RepairEvery == 0,
            refresh: version % ((long)Settings.RepairEvery * ClusterRepair.RefreshEvery) == 0, recentPoints, _random, Settings.RepairEvery);
        _lastLeastUtility = inputs.LastLeastUtility;
        _group = inputs.Group;
        _spreadBackoff = (inputs.SpreadMisses, inputs.SpreadResumes);
        if (found is not { } move)
        {
            return;
        }

        // A move changes the statistics the group was split from, and the clusters a spread split was refused on.
        _group = null;
        _spreadBackoff = (0, 0);

        int d = Dimensions;
        (int r, int s, int v) = (move.Removed, move.From, move.Receiver);
        long removedId = _ids[r];
        long fromId = _ids[s];

        // The removed cluster's points go to its receiver: the two merge, weights, means and errors
        // (e = e_r + e_v + Ward's cost), so neither the points nor their weight are lost. When the
        // receiver is the cluster split, they merge into the part that keeps its id.
        // When the removed cluster is the one split (a group arriving at a dead mode's centroid), what
        // is removed is its past: the slot passes to the group. A starving cluster (no receiver) is
        // dropped: its points have stopped arriving.
        bool relocation = r == s;
        double removedWeight = relocation ? move.FromWeight : _weights[r];
        double removedInertia = relocation ? move.FromInertia : _inertia[r];
        double[] removedCentroid = relocation ? move.FromCentroid : _centroids.AsSpan(r * d, d).ToArray();
        events.Add(new ClusterEvent(
            ClusterEventKind.Removed, version, r, removedId, null,
            v >= 0
                ? FormattableString.Invariant($"least utility {move.Utility:G4} (its points go to cluster {_ids[v]})")
                : "starving: its points have stopped arriving (its past is dropped)"));
        if (!relocation)
        {
            move.FromCentroid.CopyTo(_centroids, s * d);
            (_weights[s], _inertia[s]) = (move.FromWeight, move.FromInertia);
        }

        move.NewCentroid.CopyTo(_centroids, r * d);
        (_weights[r], _inertia[r]) = (move.NewWeight, move.NewInertia);
        if (v >= 0)
        {
            Merge(v, removedCentroid, removedWeight, removedInertia);
        }

        _ids.Renew(r);
        string how = move.Split == RepairSplit.Recent ? "its points of the last batch, apart from its past" : "two groups of its points";
        events.Add(new ClusterEvent(
            ClusterEventKind.SplitOff, version, r, null, _ids[r],
            FormattableString.Invariant($"split off cluster {fromId} ({how}): gain {move.Gain:G4} > {(move.Split == RepairSplit.Recent ? ClusterRepair.RecentMargin : ClusterRepair.Margin)}× utility {move.Utility:G4} of cluster {removedId}"))
        { FromId = fromId });
        long hold = version + Settings.RepairHold;
        _heldUntil[r] = hold;
        _heldUntil[s] = hold;
        if (v >= 0)
        {
            _heldUntil[v] = hold;
        }
    }

    /// <summary>Folds a removed cluster (centroid, weight, error) into slot <paramref name="v"/>: the merged cluster's mean, total weight and error about that mean.</summary>
    private void Merge(int v, double[] centroid, double weight, double inertia)
    {
        int d = Dimensions;
        double kept = _weights[v];
        double total = kept + weight;
        if (!(total > 0))
        {
            return;
        }

        Span<double> mu = _centroids.AsSpan(v * d, d);
        double between = 0;
        for (int j = 0; j < d; j++)
        {
            double diff = centroid[j] - mu[j];
            between += diff * diff;
            mu[j] = ((kept * mu[j]) + (weight * centroid[j])) / total;
        }

        _inertia[v] += inertia + (kept * weight / total * between);
        _weights[v] = total;
    }

    private IReadOnlyList<ReseedEvent> ReseedStarved(ReadOnlySpan<float> recentPoints, long version, List<ClusterEvent> clusterEvents)
    {
        double ratio = Settings.ReseedRatio;
        int d = Dimensions;
        int m = recentPoints.Length / d;

        if (ratio <= 0 || m == 0)
        {
            return [];
        }

        // The weights are finite (the update was checked), so the vector max and min are exact and
        // their order of comparison does not matter.
        double max = Math.Max(0, System.Numerics.Tensors.TensorPrimitives.Max<double>(_weights));
        if (max <= 0)
        {
            return [];
        }

        double threshold = ratio * max;
        if (!(System.Numerics.Tensors.TensorPrimitives.Min<double>(_weights) < threshold))
        {
            return [];
        }

        double minLive = double.PositiveInfinity;
        foreach (double w in _weights)
        {
            if (w >= threshold)
            {
                minLive = Math.Min(minLive, w);
            }
        }

        // D² sampling against the updated centroids; each reseed lowers the distances it covers, so
        // two starved clusters never land on the same point.
        var distances = new float[m];
        var nearest = new int[m];
        HardEStep.Assign(new CentroidSet(_centroids, Clusters), recentPoints, nearest, distances);
        var sampler = new D2Sampler(distances, d);
        var events = new List<ReseedEvent>();
        for (int c = 0; c < Clusters && sampler.Total > 0; c++)
        {
            if (_weights[c] >= threshold)
            {
                continue;
            }

            int pick = sampler.Pick(_random);
            ReadOnlySpan<float> x = recentPoints.Slice(pick * d, d);
            Span<double> mu = _centroids.AsSpan(c * d, d);
            for (int j = 0; j < d; j++)
            {
                mu[j] = x[j];
            }

            events.Add(_ids.Reseed(
                c, version, _weights[c], minLive,
                FormattableString.Invariant($"starved: weight {_weights[c]:G4} below {ratio:G4} of the largest ({max:G4})"), clusterEvents));
            _weights[c] = minLive;
            _inertia[c] = 0;
            sampler.AddCentre(recentPoints, x);
        }

        return events;
    }

    private void EnsureUnseeded()
    {
        if (IsSeeded)
        {
            throw new InvalidOperationException("The model already has centroids.");
        }
    }

    private static int FirstNonFinite(double[] centroids, double[] weights, double[] inertia, int d)
    {
        for (int c = 0; c < weights.Length; c++)
        {
            if (!double.IsFinite(weights[c]) || !double.IsFinite(inertia[c]))
            {
                return c;
            }

            foreach (double v in centroids.AsSpan(c * d, d))
            {
                if (!double.IsFinite(v))
                {
                    return c;
                }
            }
        }

        return -1;
    }
}
