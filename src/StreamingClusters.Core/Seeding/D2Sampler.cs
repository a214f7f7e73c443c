using StreamingClusters.Randomness;

namespace StreamingClusters.Seeding;

/// <summary>
/// D² sampling: draws a point with probability proportional to its squared distance to the nearest
/// centre so far. k-means++ draws its candidates with it; the model reseeds a starved cluster with it,
/// lowering the distances after each pick so that two reseeds never land on the same point.
/// </summary>
internal sealed class D2Sampler
{
    private readonly double[] _distances;
    private readonly int _dimensions;

    /// <summary>Creates a sampler over points whose squared distances to the nearest centre are <paramref name="squaredDistances"/>.</summary>
    /// <param name="squaredDistances">Each point's squared distance, widened to double exactly.</param>
    /// <param name="dimensions">d.</param>
    public D2Sampler(ReadOnlySpan<float> squaredDistances, int dimensions)
    {
        _dimensions = dimensions;
        _distances = new double[squaredDistances.Length];
        for (int i = 0; i < _distances.Length; i++)
        {
            _distances[i] = squaredDistances[i];
            Total += _distances[i];
        }
    }

    /// <summary>Gets the sum of the distances, added in point order; 0 when every point is a centre.</summary>
    public double Total { get; private set; }

    /// <summary>Draws a point (<see cref="Total"/> must be positive).</summary>
    /// <param name="random">The generator.</param>
    /// <returns>The point's index.</returns>
    public int Pick(ModelRandom random) => SampleProportional(_distances, Total, random);

    /// <summary>Makes <paramref name="centre"/> a centre: each point's distance becomes the lesser of its own and its distance to it.</summary>
    /// <param name="points">The points, row-major.</param>
    /// <param name="centre">The new centre.</param>
    public void AddCentre(ReadOnlySpan<float> points, ReadOnlySpan<float> centre)
    {
        int d = _dimensions;
        double total = 0;
        for (int i = 0; i < _distances.Length; i++)
        {
            _distances[i] = Math.Min(_distances[i], SeedDistances.SquaredDistance(points.Slice(i * d, d), centre));
            total += _distances[i];
        }

        Total = total;
    }

    /// <summary>Draws an index with probability proportional to its weight.</summary>
    /// <param name="weights">Non-negative weights.</param>
    /// <param name="total">Their sum, positive.</param>
    /// <param name="random">The generator.</param>
    /// <returns>An index whose weight is positive.</returns>
    internal static int SampleProportional(ReadOnlySpan<double> weights, double total, ModelRandom random)
    {
        double target = random.NextDouble() * total;
        double running = 0;
        int last = -1;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0)
            {
                continue;
            }

            last = i;
            running += weights[i];
            if (running > target)
            {
                return i;
            }
        }

        // Rounding left the target just past the running sum: the last positive weight takes it.
        Debug.Assert(last >= 0);
        return last;
    }

    /// <summary>
    /// <see cref="SampleProportional(ReadOnlySpan{double}, double, ModelRandom)"/> by binary search in
    /// the running sums it would build (<see cref="RunningSums"/>): the same draw, the same index, without
    /// a pass over the weights for each of the candidates drawn from one distribution.
    /// </summary>
    /// <param name="weights">Non-negative weights.</param>
    /// <param name="running">Their running sums.</param>
    /// <param name="total">Their sum, positive.</param>
    /// <param name="random">The generator.</param>
    /// <returns>An index whose weight is positive.</returns>
    internal static int SampleProportional(ReadOnlySpan<double> weights, ReadOnlySpan<double> running, double total, ModelRandom random)
    {
        double target = random.NextDouble() * total;

        // The first index whose running sum passes the target; the sums only grow at positive
        // weights, so it has one.
        int lo = 0, hi = running.Length;
        while (lo < hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (running[mid] > target)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        if (lo < running.Length)
        {
            return lo;
        }

        // Rounding left the target just past the running sum: the last positive weight takes it.
        int last = weights.Length - 1;
        while (last > 0 && weights[last] <= 0)
        {
            last--;
        }

        Debug.Assert(weights[last] > 0);
        return last;
    }

    /// <summary>The running sums of non-negative weights, added in index order as <see cref="SampleProportional(ReadOnlySpan{double}, double, ModelRandom)"/> adds them.</summary>
    internal static void RunningSums(ReadOnlySpan<double> weights, Span<double> running)
    {
        double sum = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            // Adding a zero weight leaves the sum's bits as they are, so skipping it changes nothing.
            sum += weights[i];
            running[i] = sum;
        }
    }
}
