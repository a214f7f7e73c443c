namespace StreamingClusters.Mixture;

/// <summary>
/// One immutable version of a diagonal Gaussian mixture as the soft E-step sees it. Per component c the
/// log-density of x is l_c(x) = log π_c − ½ Σ_j log(2π σ²_cj) − ½ Σ_j (x_j s_cj − μ_cj s_cj)² with
/// s_cj = 1/σ_cj: the constant and the products μ·s are computed once per version, in double, then kept
/// in single precision transposed into panels (coordinate j of components c … c + lanes − 1 side by
/// side, components padded to a multiple of the vector width with a log-constant of −∞, so padding
/// never takes mass). Built once per version and shared read-only by every E-step shard.
/// </summary>
public sealed class MixtureComponents
{
    private readonly float[] _means;

    /// <summary>Creates the E-step's view of a mixture version, laid out for the widest vectors the machine accelerates.</summary>
    /// <param name="means">k × d means, row-major.</param>
    /// <param name="variances">k × d variances, positive.</param>
    /// <param name="priors">k priors, non-negative.</param>
    /// <param name="version">The model version they belong to.</param>
    public MixtureComponents(ReadOnlySpan<double> means, ReadOnlySpan<double> variances, ReadOnlySpan<double> priors, long version = 0)
        : this(means, variances, priors, version, DefaultLanes)
    {
    }

    /// <summary>Creates the view with the layout of a given kernel path (tests pick each path).</summary>
    /// <param name="means">k × d means, row-major.</param>
    /// <param name="variances">k × d variances, positive.</param>
    /// <param name="priors">k priors, non-negative.</param>
    /// <param name="version">The model version they belong to.</param>
    /// <param name="lanes">16 for the Vector512 path, 8 for Vector256, 1 for the scalar twin.</param>
    internal MixtureComponents(ReadOnlySpan<double> means, ReadOnlySpan<double> variances, ReadOnlySpan<double> priors, long version, int lanes)
    {
        int k = priors.Length;
        ArgumentOutOfRangeException.ThrowIfZero(k);
        if (means.Length == 0 || means.Length % k != 0 || variances.Length != means.Length)
        {
            throw new ArgumentException($"Expected k × d means and variances for k = {k}, got {means.Length} and {variances.Length}.", nameof(means));
        }

        Debug.Assert(lanes is 1 or 8 or 16);
        int d = means.Length / k;
        Clusters = k;
        Dimensions = d;
        Version = version;
        Lanes = lanes;
        PaddedClusters = (k + lanes - 1) / lanes * lanes;
        _means = new float[means.Length];
        MeansDouble = means.ToArray();
        Precisions = new double[variances.Length];
        LogConstantsDouble = new double[k];
        Scales = new float[PaddedClusters * d];
        ScaledMeans = new float[PaddedClusters * d];
        LogConstants = new float[PaddedClusters];
        LogConstants.AsSpan().Fill(float.NegativeInfinity);
        double halfLogTwoPi = 0.5 * Math.Log(2 * Math.PI);
        for (int c = 0; c < k; c++)
        {
            double constant = Math.Log(priors[c]) - (d * halfLogTwoPi);
            for (int j = 0; j < d; j++)
            {
                int at = (c * d) + j;
                double variance = variances[at];
                if (!(variance > 0))
                {
                    throw new ArgumentException($"Component {c} has a variance that is not positive ({variance}) at coordinate {j}.", nameof(variances));
                }

                _means[at] = (float)means[at];
                Precisions[at] = 1 / variance;
                double scale = 1 / Math.Sqrt(variance);
                Scales[(j * PaddedClusters) + c] = (float)scale;
                ScaledMeans[(j * PaddedClusters) + c] = (float)(means[at] * scale);
                constant -= 0.5 * Math.Log(variance);
            }

            LogConstantsDouble[c] = constant;
            LogConstants[c] = (float)constant;
        }
    }

    /// <summary>Gets the lanes of the widest vector path the machine accelerates: 16, 8, or 1 (scalar).</summary>
    internal static int DefaultLanes =>
        Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 1;

    /// <summary>Gets the number of components k.</summary>
    public int Clusters { get; }

    /// <summary>Gets the dimension d.</summary>
    public int Dimensions { get; }

    /// <summary>Gets the model version.</summary>
    public long Version { get; }

    /// <summary>Gets the means in single precision, k × d, row-major.</summary>
    public ReadOnlySpan<float> Means => _means;

    /// <summary>Gets the means in double precision (for points too far for single precision).</summary>
    internal double[] MeansDouble { get; }

    /// <summary>Gets 1/σ²_cj in double precision, k × d.</summary>
    internal double[] Precisions { get; }

    /// <summary>Gets log π_c − ½ Σ_j log(2π σ²_cj) in double precision.</summary>
    internal double[] LogConstantsDouble { get; }

    /// <summary>Gets s_cj = 1/σ_cj at j × <see cref="PaddedClusters"/> + c (0 for padding).</summary>
    internal float[] Scales { get; }

    /// <summary>Gets μ_cj s_cj at j × <see cref="PaddedClusters"/> + c (0 for padding).</summary>
    internal float[] ScaledMeans { get; }

    /// <summary>Gets each component's log-constant in single precision, −∞ for padding.</summary>
    internal float[] LogConstants { get; }

    /// <summary>Gets k rounded up to a multiple of <see cref="Lanes"/>.</summary>
    internal int PaddedClusters { get; }

    /// <summary>Gets the vector width the panels are laid out for.</summary>
    internal int Lanes { get; }
}
