using System.Collections;

namespace StreamingClusters.Publishing;

/// <summary>
/// A snapshot's centroids as k rows of d values over one row-major array: a snapshot is published for
/// every model version, and most are never read row by row, so a version costs one copy of the model,
/// not k arrays. A row is made the first time it is read and then kept, so every read of a row gets
/// the same array.
/// </summary>
internal sealed class CentroidRows : IReadOnlyList<double[]>
{
    private readonly double[] _values;
    private readonly int _dimensions;
    private double[]?[]? _rows;

    /// <summary>Copies the centroids.</summary>
    /// <param name="centroids">k × d values, row-major.</param>
    /// <param name="dimensions">The dimension d.</param>
    public CentroidRows(ReadOnlySpan<double> centroids, int dimensions)
    {
        Debug.Assert(dimensions > 0 && centroids.Length % dimensions == 0);
        _values = centroids.ToArray();
        _dimensions = dimensions;
        Count = centroids.Length / dimensions;
    }

    /// <inheritdoc/>
    public int Count { get; }

    /// <inheritdoc/>
    public double[] this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            double[]?[] rows = Volatile.Read(ref _rows) ?? Interlocked.CompareExchange(ref _rows, new double[Count][], null) ?? _rows!;

            // Readers on several threads may each make the row; the first one stored is the one all keep.
            return Volatile.Read(ref rows[index])
                ?? Interlocked.CompareExchange(ref rows[index], _values.AsSpan(index * _dimensions, _dimensions).ToArray(), null)
                ?? rows[index]!;
        }
    }

    /// <inheritdoc/>
    public IEnumerator<double[]> GetEnumerator()
    {
        for (int c = 0; c < Count; c++)
        {
            yield return this[c];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
