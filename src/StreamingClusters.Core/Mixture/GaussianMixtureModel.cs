using StreamingClusters.EStep;
using StreamingClusters.Model;
using StreamingClusters.Randomness;
using StreamingClusters.Reference;
using StreamingClusters.Seeding;

namespace StreamingClusters.Mixture;

/// <summary>
/// The model owner of a Gaussian mixture with diagonal covariances and learnt priors, updated by the
/// streaming M-step of online EM (Cappé and Moulines, 2009): with the batch's statistics (Σγ, Σγt, Σγt²)
/// about the old means (t = x − μ) and the discount a, per component
/// <code>
///   w' = a·w + Σγ,   δ = Σγt / w',   μ' = μ + δ,
///   σ'² = max(floor, (a·w·σ² + Σγt² − δ·Σγt) / w'),   π' = w' / Σ w'
/// </code>
/// (the discounted mean and variance of the old points and the new ones together). With a = 1 and zero
/// weights it is one batch EM M-step. Ids, events and reseeding of starved components follow the k-means
/// model's rules (<see cref="ClusterModel"/>). Not thread-safe: one writer, any number of readers of
/// <see cref="Published"/>.
/// </summary>
public sealed class GaussianMixtureModel
{
    private double[] _means;
    private double[] _variances;
    private double[] _weights;
    private double[] _nextMeans;
    private double[] _nextVariances;
    private double[] _nextWeights;
    private readonly double[] _priors;
    private readonly double[] _inertia;
    private readonly ModelRandom _random;

    /// <summary>The least variance of each coordinate; empty until seeded or configured.</summary>
    private double[] _floor = [];

    /// <summary>Each slot's component id (set when the model is seeded, replaced when the slot is reseeded; never reused) and the latest changes of ids.</summary>
    private readonly ClusterIdentities _ids;
    private List<(int Slot, string Reason)>? _seedingEvents;

    /// <summary>The committed version; null until seeded. Replaced, never mutated.</summary>
    private volatile MixtureComponents? _current;

    /// <summary>Creates an unseeded mixture.</summary>
    /// <param name="settings">The shape and the choices shared with k-means (repair does not apply).</param>
    /// <param name="options">The mixture's own choices.</param>
    public GaussianMixtureModel(ModelSettings settings, MixtureOptions options)
        : this(settings, options, new ModelRandom(settings?.Seed ?? 0))
    {
    }

    private GaussianMixtureModel(ModelSettings settings, MixtureOptions options, ModelRandom random)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        settings.Validate();
        options.Validate();
        Settings = settings;
        Options = options;
        int size = checked(settings.Clusters * settings.Dimensions);
        _means = new double[size];
        _nextMeans = new double[size];
        _variances = new double[size];
        _nextVariances = new double[size];
        _weights = new double[settings.Clusters];
        _nextWeights = new double[settings.Clusters];
        _priors = new double[settings.Clusters];
        _inertia = new double[settings.Clusters];
        _ids = new ClusterIdentities(settings.Clusters);
        _random = random;
    }

    /// <summary>Gets the shape and the shared choices.</summary>
    public ModelSettings Settings { get; }

    /// <summary>Gets the mixture's own choices.</summary>
    public MixtureOptions Options { get; }

    /// <summary>Gets the number of components k.</summary>
    public int Clusters => Settings.Clusters;

    /// <summary>Gets the dimension d.</summary>
    public int Dimensions => Settings.Dimensions;

    /// <summary>Gets the number of M-steps applied so far.</summary>
    public long Version { get; private set; }

    /// <summary>Gets the number of points applied so far.</summary>
    public long PointsApplied { get; private set; }

    /// <summary>Gets a value indicating whether the parameters are set.</summary>
    public bool IsSeeded => _current is not null;

    /// <summary>Gets the current version for the E-step.</summary>
    /// <exception cref="InvalidOperationException">The model is not seeded yet.</exception>
    public MixtureComponents Current => _current ?? throw new InvalidOperationException("The mixture has no parameters until it is seeded.");

    /// <summary>Gets the committed version for readers on any thread, or null before seeding.</summary>
    public MixtureComponents? Published => _current;

    /// <summary>Gets the means, k × d, row-major.</summary>
    public ReadOnlySpan<double> Means => _means;

    /// <summary>Gets the variances, k × d, row-major.</summary>
    public ReadOnlySpan<double> Variances => _variances;

    /// <summary>Gets the priors π_c.</summary>
    public ReadOnlySpan<double> Priors => _priors;

    /// <summary>Gets each component's discounted mass w_c.</summary>
    public ReadOnlySpan<double> Weights => _weights;

    /// <summary>Gets each component's discounted soft squared error w_c Σ_j σ²_cj.</summary>
    public ReadOnlySpan<double> Inertia => _inertia;

    /// <summary>Gets each slot's component id.</summary>
    public ReadOnlySpan<long> Ids => _ids.Ids;

    /// <summary>Gets the least variance of each coordinate (empty before seeding).</summary>
    public ReadOnlySpan<double> VarianceFloor => _floor;

    /// <summary>Gets the latest changes of ids, oldest first, restored ones included.</summary>
    public IReadOnlyCollection<ClusterEvent> RecentEvents => _ids.Recent;

    /// <summary>Gets the discounted sum of the applied points' log-likelihoods (each under the version it was assigned against).</summary>
    public double LogLikelihood { get; private set; }

    /// <summary>Gets the discounted number of points in <see cref="LogLikelihood"/>.</summary>
    public double LogLikelihoodWeight { get; private set; }

    /// <summary>Gets the stream's discounted mean log-likelihood per point, or null before any point is applied.</summary>
    public double? MeanLogLikelihood => LogLikelihoodWeight > 0 ? LogLikelihood / LogLikelihoodWeight : null;

    /// <summary>Restores a mixture from its states.</summary>
    /// <param name="state">The shared part (means in <see cref="ClusterModelState.Centroids"/>).</param>
    /// <param name="mixture">The mixture's own part.</param>
    /// <param name="options">The mixture's choices in force.</param>
    /// <returns>A mixture that goes on exactly where the state was taken.</returns>
    public static GaussianMixtureModel Restore(ClusterModelState state, MixtureState mixture, MixtureOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(mixture);
        var model = new GaussianMixtureModel(state.Settings, options, ModelRandom.FromState(state.RandomState));
        int k = model.Clusters;
        int d = model.Dimensions;
        if (state.Centroids.Length != k * d || state.Weights.Length != k || mixture.Variances.Length != k * d || mixture.Priors.Length != k
            || (mixture.VarianceFloor.Length != d && mixture.VarianceFloor.Length != 0))
        {
            throw new ArgumentException($"The state's arrays do not fit its shape (k={k}, d={d}).", nameof(state));
        }

        state.Centroids.CopyTo(model._means, 0);
        state.Weights.CopyTo(model._weights, 0);
        mixture.Variances.CopyTo(model._variances, 0);
        mixture.Priors.CopyTo(model._priors, 0);
        model._floor = (double[])mixture.VarianceFloor.Clone();
        model.ComputeInertia();
        model.Version = state.Version;
        model.PointsApplied = state.PointsApplied;
        model.LogLikelihood = mixture.LogLikelihood;
        model.LogLikelihoodWeight = mixture.LogLikelihoodWeight;
        model._ids.Restore(state.Ids, state.NextId, state.Seeded, state.RecentEvents);

        if (state.Seeded)
        {
            model._current = model.Build(state.Version);
        }

        return model;
    }

    /// <summary>Takes the shared part of the state.</summary>
    /// <returns>Copies of the means, weights, ids, events and random state.</returns>
    public ClusterModelState ToState() => new()
    {
        Settings = Settings,
        Version = Version,
        Seeded = IsSeeded,
        Centroids = (double[])_means.Clone(),
        Weights = (double[])_weights.Clone(),
        Inertia = (double[])_inertia.Clone(),
        PointsApplied = PointsApplied,
        Ids = _ids.Ids.ToArray(),
        NextId = _ids.Next,
        RecentEvents = [.. _ids.Recent],
        RandomState = _random.GetState(),
    };

    /// <summary>Takes the mixture's own part of the state.</summary>
    /// <returns>Copies of the variances, priors, floor and log-likelihood.</returns>
    public MixtureState ToMixtureState() => new()
    {
        Variances = (double[])_variances.Clone(),
        Priors = (double[])_priors.Clone(),
        VarianceFloor = (double[])_floor.Clone(),
        LogLikelihood = LogLikelihood,
        LogLikelihoodWeight = LogLikelihoodWeight,
    };

    /// <summary>
    /// Seeds from a buffer of the first points: one k-means start (<see cref="BufferSeeding.Start"/>: k-means++,
    /// then Lloyd iterations; the k-means model's starts and breaths do not apply, EM's starts take their place),
    /// each component's variances and prior from its points, then batch EM on the buffer until its mean
    /// log-likelihood moves less than <see cref="MixtureOptions.SeedingTolerance"/>; of
    /// <see cref="MixtureOptions.SeedingStarts"/> such starts the one of the highest likelihood is kept.
    /// Weights stay 0: apply the buffer as the first batch afterwards so it is not lost.
    /// </summary>
    /// <param name="buffer">n × d values, row-major, n ≥ k distinct points.</param>
    /// <param name="parallelism">The most threads k-means++ may use (the same seeds).</param>
    /// <returns>The batch EM iterations run.</returns>
    /// <exception cref="InsufficientDistinctPointsException">The buffer holds fewer than k distinct points.</exception>
    public int Seed(ReadOnlySpan<float> buffer, int parallelism = 1)
    {
        EnsureUnseeded();
        int k = Clusters;
        int d = Dimensions;
        int n = buffer.Length / d;

        // Per coordinate, the buffer's variance: the floor's scale, and the spread of a component with too few points.
        var columnMean = new double[d];
        var columnVariance = new double[d];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++)
            {
                columnMean[j] += buffer[(i * d) + j];
            }
        }

        for (int j = 0; j < d; j++)
        {
            columnMean[j] /= n;
        }

        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++)
            {
                double t = buffer[(i * d) + j] - columnMean[j];
                columnVariance[j] += t * t;
            }
        }

        _floor = new double[d];
        for (int j = 0; j < d; j++)
        {
            columnVariance[j] /= n;
            _floor[j] = Math.Max(Options.RelativeVarianceFloor * columnVariance[j], 1e-24 * Math.Max(1, columnMean[j] * columnMean[j]));
        }

        // Each start: k-means seeding, each seed's spread and share of its points, then batch EM; the start
        // of the highest likelihood on the buffer is kept (EM from one start stops at the nearest optimum).
        double best = double.NegativeInfinity;
        int iterations = 0;
        double[] bestMeans = new double[k * d], bestVariances = new double[k * d], bestPriors = new double[k];
        for (int start = 0; start < Math.Max(1, Options.SeedingStarts); start++)
        {
            double[] means = BufferSeeding.Start(buffer, d, k, _random, Settings.SeedingCandidates, Settings.RefineIterations, parallelism);

            StartFrom(buffer, means, columnVariance);
            (int run, double likelihood) = RefineByEM(buffer);
            if (start == 0 || likelihood > best)
            {
                best = likelihood;
                iterations = run;
                _means.CopyTo(bestMeans, 0);
                _variances.CopyTo(bestVariances, 0);
                _priors.CopyTo(bestPriors, 0);
            }
        }

        bestMeans.CopyTo(_means, 0);
        bestVariances.CopyTo(_variances, 0);
        bestPriors.CopyTo(_priors, 0);
        Array.Clear(_weights);
        ComputeInertia();
        _ids.Number();
        _current = Build(Version);
        string reason = FormattableString.Invariant($"k-means++ and {iterations} EM iterations on the first {n} points (best of {Math.Max(1, Options.SeedingStarts)} starts)");
        _seedingEvents = [.. Enumerable.Range(0, k).Select(c => (c, reason))];
        return iterations;
    }

    /// <summary>Sets the parameters directly (tests, a configured start); weights stay 0.</summary>
    /// <param name="means">k × d finite means.</param>
    /// <param name="variances">k × d positive variances.</param>
    /// <param name="priors">k positive priors summing to 1.</param>
    /// <param name="varianceFloor">d least variances, or empty for none (a tiny absolute floor).</param>
    public void SetParameters(ReadOnlySpan<double> means, ReadOnlySpan<double> variances, ReadOnlySpan<double> priors, ReadOnlySpan<double> varianceFloor = default)
    {
        EnsureUnseeded();
        if (means.Length != _means.Length || variances.Length != _variances.Length || priors.Length != Clusters || (varianceFloor.Length != 0 && varianceFloor.Length != Dimensions))
        {
            throw new ArgumentException($"Expected {Clusters} × {Dimensions} means and variances, {Clusters} priors and 0 or {Dimensions} floors.", nameof(means));
        }

        means.CopyTo(_means);
        variances.CopyTo(_variances);
        priors.CopyTo(_priors);
        _floor = varianceFloor.IsEmpty ? [.. Enumerable.Repeat(double.Epsilon, Dimensions)] : varianceFloor.ToArray();
        ComputeInertia();
        _ids.Number();
        _current = Build(Version);
        _seedingEvents = [.. Enumerable.Range(0, Clusters).Select(c => (c, "configured component"))];
    }

    /// <summary>
    /// The streaming M-step (see the class summary), then reseeds starved components from
    /// <paramref name="recentPoints"/> by D² sampling. Refused, the model left as it was, if any value would
    /// be non-finite.
    /// </summary>
    /// <param name="statistics">The batch's statistics against <see cref="Current"/>.</param>
    /// <param name="discount">The discount a ∈ (0, 1].</param>
    /// <param name="recentPoints">The batch's points, candidates for reseeding; may be empty.</param>
    /// <returns>What the step did.</returns>
    /// <exception cref="NonFiniteModelException">The update would make the model non-finite.</exception>
    public ModelUpdate Apply(MixtureStatistics statistics, double discount, ReadOnlySpan<float> recentPoints)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        if (!(discount > 0 && discount <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(discount), discount, "The discount must be in (0, 1].");
        }

        if (statistics.Clusters != Clusters || statistics.Dimensions != Dimensions)
        {
            throw new ArgumentException(
                $"Statistics of shape (k={statistics.Clusters}, d={statistics.Dimensions}) do not match the model (k={Clusters}, d={Dimensions}).", nameof(statistics));
        }

        if (recentPoints.Length % Dimensions != 0)
        {
            throw new ArgumentException($"Recent points of d = {Dimensions} must hold a multiple of {Dimensions} values, got {recentPoints.Length}.", nameof(recentPoints));
        }

        _ = Current;
        double logLikelihood = (discount * LogLikelihood) + statistics.LogLikelihood;
        double logLikelihoodWeight = (discount * LogLikelihoodWeight) + statistics.TotalCount;
        int bad = Update(statistics, discount);
        if (bad >= 0 || !double.IsFinite(logLikelihood))
        {
            throw new NonFiniteModelException(Math.Max(bad, 0), Version + 1);
        }

        Commit();
        LogLikelihood = logLikelihood;
        LogLikelihoodWeight = logLikelihoodWeight;
        var events = new List<ClusterEvent>();
        long version = Version + 1;
        foreach ((int slot, string reason) in _seedingEvents ?? [])
        {
            events.Add(new ClusterEvent(ClusterEventKind.Seeded, version, slot, null, _ids[slot], reason));
        }

        _seedingEvents = null;
        IReadOnlyList<ReseedEvent> reseeds = ReseedStarved(recentPoints, version, events);
        ComputeInertia();
        Version = version;
        PointsApplied += statistics.TotalCount;
        _current = Build(Version);
        foreach (ClusterEvent e in events)
        {
            _ids.Remember(e);
        }

        return new ModelUpdate(Version, statistics.TotalCount, discount, statistics.TotalSquaredError, reseeds) { Events = events };
    }

    /// <summary>Sets the parameters from seeds: each one's share of the buffer and the spread of its points (the buffer's for a seed of fewer than two).</summary>
    private void StartFrom(ReadOnlySpan<float> buffer, double[] means, double[] columnVariance)
    {
        int k = Clusters;
        int d = Dimensions;
        int n = buffer.Length / d;
        var labels = new int[n];
        var distances = new float[n];
        HardEStep.Assign(new CentroidSet(means, k), buffer, labels, distances);
        var counts = new double[k];
        var spread = new double[k * d];
        for (int i = 0; i < n; i++)
        {
            int c = labels[i];
            counts[c]++;
            for (int j = 0; j < d; j++)
            {
                double t = buffer[(i * d) + j] - means[(c * d) + j];
                spread[(c * d) + j] += t * t;
            }
        }

        means.CopyTo(_means, 0);
        for (int c = 0; c < k; c++)
        {
            _priors[c] = Math.Max(counts[c], 1) / (n + k);
            for (int j = 0; j < d; j++)
            {
                double variance = counts[c] >= 2 ? spread[(c * d) + j] / counts[c] : columnVariance[j];
                _variances[(c * d) + j] = Math.Max(variance, _floor[j]);
            }
        }
    }

    /// <summary>Batch EM on the buffer from the current parameters; returns the iterations and the buffer's mean log-likelihood under the parameters left.</summary>
    private (int Iterations, double MeanLogLikelihood) RefineByEM(ReadOnlySpan<float> buffer)
    {
        int n = buffer.Length / Dimensions;
        var statistics = new MixtureStatistics(Clusters, Dimensions);
        double previous = double.NegativeInfinity;
        for (int iteration = 0; ; iteration++)
        {
            statistics.Clear();
            SoftEStep.Accumulate(Build(Version), buffer, statistics);
            double mean = statistics.LogLikelihood / n;
            if (iteration == Options.SeedingIterations || mean - previous < Options.SeedingTolerance)
            {
                return (iteration, mean);
            }

            previous = mean;
            Array.Clear(_weights);
            if (Update(statistics, 1) >= 0)
            {
                // The buffer itself makes the model non-finite: keep the last good parameters.
                return (iteration, mean);
            }

            Commit();
        }
    }

    /// <summary>Computes the next means, variances and weights into the _next arrays; returns the first component with a non-finite value, or −1.</summary>
    private int Update(MixtureStatistics statistics, double discount)
    {
        int k = Clusters;
        int d = Dimensions;
        ReadOnlySpan<double> mass = statistics.Mass;
        ReadOnlySpan<double> first = statistics.First;
        ReadOnlySpan<double> second = statistics.Second;
        for (int c = 0; c < k; c++)
        {
            double kept = discount * _weights[c];
            double g = mass[c];
            double w = kept + g;
            _nextWeights[c] = w;
            bool finite = double.IsFinite(w);
            for (int j = 0; j < d; j++)
            {
                int at = (c * d) + j;
                double mu = _means[at];
                double variance = _variances[at];
                if (g > 0 && w > 0)
                {
                    double delta = first[at] / w;
                    mu += delta;
                    variance = Math.Max(_floor[j], ((kept * variance) + second[at] - (delta * first[at])) / w);
                }

                _nextMeans[at] = mu;
                _nextVariances[at] = variance;
                finite &= double.IsFinite(mu) && double.IsFinite(variance);
            }

            if (!finite)
            {
                return c;
            }
        }

        return -1;
    }

    /// <summary>Makes the _next arrays current and the priors the weights' shares.</summary>
    private void Commit()
    {
        (_means, _nextMeans) = (_nextMeans, _means);
        (_variances, _nextVariances) = (_nextVariances, _variances);
        (_weights, _nextWeights) = (_nextWeights, _weights);
        UpdatePriors();
    }

    private void UpdatePriors()
    {
        double total = 0;
        foreach (double w in _weights)
        {
            total += w;
        }

        if (total > 0)
        {
            for (int c = 0; c < Clusters; c++)
            {
                _priors[c] = _weights[c] / total;
            }
        }
    }

    private void ComputeInertia()
    {
        int d = Dimensions;
        for (int c = 0; c < Clusters; c++)
        {
            double trace = 0;
            for (int j = 0; j < d; j++)
            {
                trace += _variances[(c * d) + j];
            }

            _inertia[c] = _weights[c] * trace;
        }
    }

    private MixtureComponents Build(long version) => new(_means, _variances, _priors, version);

    private IReadOnlyList<ReseedEvent> ReseedStarved(ReadOnlySpan<float> recentPoints, long version, List<ClusterEvent> clusterEvents)
    {
        double ratio = Settings.ReseedRatio;
        int d = Dimensions;
        int m = recentPoints.Length / d;
        if (ratio <= 0 || m == 0)
        {
            return [];
        }

        double max = 0;
        foreach (double w in _weights)
        {
            max = Math.Max(max, w);
        }

        double threshold = ratio * max;
        if (max <= 0 || !_weights.Any(w => w < threshold))
        {
            return [];
        }

        // The live components' prior-weighted variance: the spread a new component starts with.
        double minLive = double.PositiveInfinity;
        double liveMass = 0;
        var spread = new double[d];
        for (int c = 0; c < Clusters; c++)
        {
            if (_weights[c] >= threshold)
            {
                minLive = Math.Min(minLive, _weights[c]);
                liveMass += _weights[c];
                for (int j = 0; j < d; j++)
                {
                    spread[j] += _weights[c] * _variances[(c * d) + j];
                }
            }
        }

        var distances = new float[m];
        var nearest = new int[m];
        HardEStep.Assign(new CentroidSet(_means, Clusters), recentPoints, nearest, distances);
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
            for (int j = 0; j < d; j++)
            {
                _means[(c * d) + j] = x[j];
                _variances[(c * d) + j] = Math.Max(_floor[j], spread[j] / liveMass);
            }

            events.Add(_ids.Reseed(
                c, version, _weights[c], minLive,
                FormattableString.Invariant($"starved: weight {_weights[c]:G4} below {ratio:G4} of the largest ({max:G4})"), clusterEvents));
            _weights[c] = minLive;
            sampler.AddCentre(recentPoints, x);
        }

        UpdatePriors();
        return events;
    }

    private void EnsureUnseeded()
    {
        if (IsSeeded)
        {
            throw new InvalidOperationException("The mixture already has parameters.");
        }
    }
}
