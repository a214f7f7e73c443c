using StreamingClusters.Statistics;

namespace StreamingClusters.Mixture;

/// <summary>
/// The sufficient statistics of a set of softly assigned points, per component c: the mass Σγ, the first
/// and second moments Σγ(x − μ_c) and Σγ(x − μ_c)² per coordinate, taken about the means μ_c of the model
/// version the points were assigned against (so that they keep their precision far from the origin;
/// Σγx = Σγ(x − μ) + μΣγ and Σγx² follow), the hard counts (each point's most likely component), and
/// the points' summed log-likelihood. Every shard of a batch is assigned against the same version, so
/// statistics form a commutative monoid under <see cref="Add"/>, as <see cref="ClusterStatistics"/> do.
/// </summary>
public sealed class MixtureStatistics : IShardStatistics<MixtureStatistics>
{
    private readonly long[] _counts;
    private readonly double[] _mass;
    private readonly double[] _first;
    private readonly double[] _second;
    private readonly double[] _logLikelihood = new double[1];

    /// <summary>Creates empty statistics (the monoid's identity).</summary>
    /// <param name="clusters">The number of components k, at least 1.</param>
    /// <param name="dimensions">The dimension d, at least 1.</param>
    public MixtureStatistics(int clusters, int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clusters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        Clusters = clusters;
        Dimensions = dimensions;
        _counts = new long[clusters];
        _mass = new double[clusters];
        _first = new double[checked(clusters * dimensions)];
        _second = new double[checked(clusters * dimensions)];
    }

    /// <inheritdoc/>
    public static MixtureStatistics Create(int clusters, int dimensions) => new(clusters, dimensions);

    /// <summary>Gets the number of components k.</summary>
    public int Clusters { get; }

    /// <summary>Gets the dimension d.</summary>
    public int Dimensions { get; }

    /// <summary>Gets the points whose most likely component was each component.</summary>
    public Span<long> Counts => _counts;

    /// <summary>Gets Σ_i γ_ic, each component's mass.</summary>
    public Span<double> Mass => _mass;

    /// <summary>Gets Σ_i γ_ic (x_i − μ_c), k × d, row-major.</summary>
    public Span<double> First => _first;

    /// <summary>Gets Σ_i γ_ic (x_i − μ_c)², coordinate by coordinate, k × d, row-major.</summary>
    public Span<double> Second => _second;

    /// <summary>Gets or sets Σ_i log p(x_i), the points' log-likelihood under the version they were assigned against.</summary>
    public double LogLikelihood
    {
        get => _logLikelihood[0];
        set => _logLikelihood[0] = value;
    }

    /// <inheritdoc/>
    public long TotalCount
    {
        get
        {
            long total = 0;
            foreach (long n in _counts)
            {
                total += n;
            }

            return total;
        }
    }

    /// <summary>Gets Σ_c Σ_i γ_ic ‖x_i − μ_c‖², the soft squared error about the version's means.</summary>
    public double TotalSquaredError
    {
        get
        {
            double total = 0;
            foreach (double e in _second)
            {
                total += e;
            }

            return total;
        }
    }

    /// <inheritdoc/>
    public void Clear()
    {
        Array.Clear(_counts);
        Array.Clear(_mass);
        Array.Clear(_first);
        Array.Clear(_second);
        _logLikelihood[0] = 0;
    }

    /// <inheritdoc/>
    public void CopyFrom(MixtureStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        EnsureSameShape(other);
        other._counts.CopyTo(_counts, 0);
        other._mass.CopyTo(_mass, 0);
        other._first.CopyTo(_first, 0);
        other._second.CopyTo(_second, 0);
        _logLikelihood[0] = other._logLikelihood[0];
    }

    /// <inheritdoc/>
    public void Add(MixtureStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        EnsureSameShape(other);

        // Element by element in a fixed order: merged in shard order, the same bits whatever the threads.
        for (int c = 0; c < _counts.Length; c++)
        {
            _counts[c] += other._counts[c];
            _mass[c] += other._mass[c];
        }

        System.Numerics.Tensors.TensorPrimitives.Add(_first, other._first, _first);
        System.Numerics.Tensors.TensorPrimitives.Add(_second, other._second, _second);
        _logLikelihood[0] += other._logLikelihood[0];
    }

    /// <summary>Copies these statistics.</summary>
    /// <returns>An independent copy.</returns>
    public MixtureStatistics Clone()
    {
        var copy = new MixtureStatistics(Clusters, Dimensions);
        copy.CopyFrom(this);
        return copy;
    }

    private void EnsureSameShape(MixtureStatistics other)
    {
        if (other.Clusters != Clusters || other.Dimensions != Dimensions)
        {
            throw new ArgumentException(
                $"Statistics of shape (k={other.Clusters}, d={other.Dimensions}) cannot merge into (k={Clusters}, d={Dimensions}).",
                nameof(other));
        }
    }
}
