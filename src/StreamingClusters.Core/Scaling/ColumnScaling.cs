using System.Numerics.Tensors;

namespace StreamingClusters.Scaling;

/// <summary>
/// Standardises columns: x ↦ (x − mean) / std, with each column's mean and standard deviation learnt
/// once (from the seeding buffer) and then fixed, so that the metric the model is built in does not
/// move under it. Immutable; any thread may transform with it.
/// </summary>
public sealed class ColumnScaling
{
    /// <summary>
    /// A column whose standard deviation is at most this fraction of its mean's magnitude is constant up
    /// to float rounding (a float carries 24 bits, about 6e-8 relative): it is left unscaled (std 1).
    /// </summary>
    public const double RelativeSpreadFloor = 1e-6;

    /// <summary>A column whose standard deviation is at most this (or 0) is constant: it is left unscaled (std 1).</summary>
    public const double AbsoluteSpreadFloor = 1e-12;

    /// <summary>Floats per tile of repeated means and inverse spreads (a whole number of rows, about 4 KiB).</summary>
    private const int TileFloats = 1024;

    private readonly double[] _mean;
    private readonly double[] _std;

    /// <summary>The means and inverse spreads as floats, repeated row after row to a whole number of rows.</summary>
    private readonly float[] _meanTile;
    private readonly float[] _inverseStdTile;

    private ColumnScaling(double[] mean, double[] std)
    {
        _mean = mean;
        _std = std;
        int d = mean.Length;
        int tile = d * Math.Max(1, TileFloats / d);
        _meanTile = new float[tile];
        _inverseStdTile = new float[tile];
        for (int i = 0; i < tile; i++)
        {
            _meanTile[i] = (float)mean[i % d];
            _inverseStdTile[i] = (float)(1.0 / std[i % d]);
        }
    }

    /// <summary>Gets the dimension d.</summary>
    public int Dimensions => _mean.Length;

    /// <summary>Gets each column's mean.</summary>
    public ReadOnlySpan<double> Mean => _mean;

    /// <summary>Gets each column's standard deviation (1 for a constant column).</summary>
    public ReadOnlySpan<double> Std => _std;

    /// <summary>
    /// Learns each column's mean and (population) standard deviation from points, two passes in double.
    /// A constant column (spread 0, or within <see cref="RelativeSpreadFloor"/> of its mean, or at most
    /// <see cref="AbsoluteSpreadFloor"/>) gets std 1: it is centred, never divided by zero.
    /// </summary>
    /// <param name="points">count × d values, row-major, at least one point, all finite.</param>
    /// <param name="dimensions">d.</param>
    /// <returns>The scaling.</returns>
    public static ColumnScaling Fit(ReadOnlySpan<float> points, int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        int count = points.Length / dimensions;
        if (count == 0 || points.Length != count * dimensions)
        {
            throw new ArgumentException($"Expected a whole number of rows of {dimensions} values, at least one.", nameof(points));
        }

        var mean = new double[dimensions];
        var std = new double[dimensions];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> row = points.Slice(i * dimensions, dimensions);
            for (int j = 0; j < dimensions; j++)
            {
                mean[j] += row[j];
            }
        }

        for (int j = 0; j < dimensions; j++)
        {
            mean[j] /= count;
        }

        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> row = points.Slice(i * dimensions, dimensions);
            for (int j = 0; j < dimensions; j++)
            {
                double deviation = row[j] - mean[j];
                std[j] += deviation * deviation;
            }
        }

        for (int j = 0; j < dimensions; j++)
        {
            double spread = Math.Sqrt(std[j] / count);
            std[j] = spread > AbsoluteSpreadFloor && spread > RelativeSpreadFloor * Math.Abs(mean[j]) ? spread : 1;
        }

        return new ColumnScaling(mean, std);
    }

    /// <summary>Rebuilds a scaling from its state.</summary>
    /// <param name="state">A state taken by <see cref="ToState"/>.</param>
    /// <returns>The scaling.</returns>
    /// <exception cref="ArgumentException">The means and spreads differ in length, or a spread is not positive and finite.</exception>
    public static ColumnScaling FromState(ColumnScalingState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Mean is not { Length: > 0 } mean || state.Std is not { } std || std.Length != mean.Length)
        {
            throw new ArgumentException("A scaling needs as many spreads as means, at least one.", nameof(state));
        }

        if (mean.Any(m => !double.IsFinite(m)) || std.Any(s => !(double.IsFinite(s) && s > 0)))
        {
            throw new ArgumentException("A scaling's means must be finite and its spreads positive and finite.", nameof(state));
        }

        return new ColumnScaling((double[])mean.Clone(), (double[])std.Clone());
    }

    /// <summary>Takes the scaling's state.</summary>
    /// <returns>Copies of the means and spreads.</returns>
    public ColumnScalingState ToState() => new((double[])_mean.Clone(), (double[])_std.Clone());

    /// <summary>
    /// Standardises rows: destination = (source − mean) · (1 / std), in float, a tile of rows at a
    /// time (two vectorised passes over a tile that stays in L1). Source and destination may be the same.
    /// </summary>
    /// <param name="source">n × d values in the input's units, row-major.</param>
    /// <param name="destination">n × d slots for the standardised values.</param>
    public void Transform(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (destination.Length < source.Length || source.Length % _mean.Length != 0)
        {
            throw new ArgumentException("Expected whole rows and room for them.", nameof(destination));
        }

        int tile = _meanTile.Length;
        for (int start = 0; start < source.Length; start += tile)
        {
            int n = Math.Min(tile, source.Length - start);
            Span<float> target = destination.Slice(start, n);
            TensorPrimitives.Subtract(source.Slice(start, n), _meanTile.AsSpan(0, n), target);
            TensorPrimitives.Multiply(target, _inverseStdTile.AsSpan(0, n), target);
        }
    }

    /// <summary>Takes rows of the standardised space back to the input's units: x = z · std + mean, in double.</summary>
    /// <param name="scaled">n × d standardised values (centroids), row-major.</param>
    /// <param name="destination">n × d slots for the values in the input's units.</param>
    public void Restore(ReadOnlySpan<double> scaled, Span<double> destination)
    {
        int d = _mean.Length;
        if (destination.Length < scaled.Length || scaled.Length % d != 0)
        {
            throw new ArgumentException("Expected whole rows and room for them.", nameof(destination));
        }

        for (int start = 0; start < scaled.Length; start += d)
        {
            Span<double> row = destination.Slice(start, d);
            TensorPrimitives.FusedMultiplyAdd(scaled.Slice(start, d), _std, _mean, row);
        }
    }
}
