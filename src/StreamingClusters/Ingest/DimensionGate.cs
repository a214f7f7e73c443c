namespace StreamingClusters.Ingest;

/// <summary>
/// Holds the dimension d of the stream: configured, or fixed by the first valid record of any
/// source. Stages that need d to size their buffers wait on <see cref="Known"/>.
/// </summary>
public sealed class DimensionGate
{
    private readonly TaskCompletionSource<int> _known = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _dimensions;

    /// <summary>The names of the stream's values, from the first source that named them; null until then.</summary>
    private string[]? _columnNames;

    /// <summary>Creates the gate.</summary>
    /// <param name="configured">The configured dimension, or 0 to take it from the first valid record.</param>
    public DimensionGate(int configured)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(configured);
        if (configured > 0)
        {
            _dimensions = configured;
            _known.SetResult(configured);
        }
    }

    /// <summary>Gets the dimension, or 0 while it is not known.</summary>
    public int Dimensions => Volatile.Read(ref _dimensions);

    /// <summary>Gets a task that completes with the dimension once it is known.</summary>
    public Task<int> Known => _known.Task;

    /// <summary>Fixes the dimension if it is not known yet.</summary>
    /// <param name="dimensions">The dimension of a valid record.</param>
    /// <returns>The dimension in force: <paramref name="dimensions"/> if it won, else the earlier one.</returns>
    public int Propose(int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        int previous = Interlocked.CompareExchange(ref _dimensions, dimensions, 0);
        if (previous == 0)
        {
            _known.TrySetResult(dimensions);
            return dimensions;
        }

        return previous;
    }

    /// <summary>Gets the names of the stream's values, from the first source that named them (a CSV header, named columns or fields); null until one has.</summary>
    public IReadOnlyList<string>? ColumnNames => Volatile.Read(ref _columnNames);

    /// <summary>Names the stream's values, unless a source has named them already.</summary>
    /// <param name="names">A source's names of its values, in order.</param>
    public void ProposeColumnNames(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        Interlocked.CompareExchange(ref _columnNames, [.. names], null);
    }

    /// <summary>Ends the wait without a dimension: no source produced a valid record.</summary>
    internal void Abandon() => _known.TrySetCanceled();
}
