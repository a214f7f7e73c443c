namespace StreamingClusters.Cluster.Messages;

/// <summary>
/// The centroids a model starts from (its <c>InitialCentroids</c>), k × d, row-major. Equal when the
/// values are, so that a definition given again with the same centroids is the same definition.
/// </summary>
[GenerateSerializer]
[Immutable]
public sealed class ConfiguredCentroids : IEquatable<ConfiguredCentroids>
{
    /// <summary>Gets the values, k × d, row-major.</summary>
#pragma warning disable CA1819 // Plain data that travels.
    [Id(0)]
    public required double[] Values { get; init; }
#pragma warning restore CA1819

    /// <inheritdoc/>
    public bool Equals(ConfiguredCentroids? other) => other is not null && Values.AsSpan().SequenceEqual(other.Values);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ConfiguredCentroids);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (double value in Values)
        {
            hash.Add(value);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() => $"[{string.Join(", ", Values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}]";
}
