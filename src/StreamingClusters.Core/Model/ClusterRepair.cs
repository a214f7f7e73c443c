using StreamingClusters.EStep;
using StreamingClusters.Randomness;
using StreamingClusters.Seeding;

namespace StreamingClusters.Model;

/// <summary>
/// Repair of local optima while the stream runs (after breathing k-means, Fritzke 2020): the cluster of
/// least utility is removed and a new one split off the cluster of largest error, when the split's
/// gain is worth more than what the removal costs.
/// </summary>
/// <remarks>
/// <para>
/// Utility u_c = Σ (d₂ − d₁) over c's points is the error added if c vanished. Sending all of c's
/// points to its nearest other centroid ν is one way of reassigning them, so u_c ≤ Σ (‖x − μ_ν‖² −
/// ‖x − μ_c‖²) = w_c ‖μ_c − μ_ν‖², exactly, when μ_c is the (discounted) mean of its points. The
/// repair takes that bound, read from the centroids and weights alone, as the cost of a removal:
/// it never underrates a removal's cost, costs the E-step nothing, and is exact for clusters whose
/// runner-up is one neighbour (a blob cut in two).
/// </para>
/// <para>
/// Error e_c is the model's discounted inertia, so the repair sees the recent past the M-step sees.
/// The gain of splitting the cluster of largest error is measured, not assumed: two-means on its
/// points in the batch (seeded by a D² draw and its mirror through the centroid), scaled from the
/// sample to the cluster's weight. A move is made only when that gain is more than
/// <see cref="Margin"/> times the removal's cost, and it holds the new cluster, the one it split off
/// and the removed one's neighbour (which takes its points) still for a while: none of them can be
/// removed by the next moves, so a move is never undone at once.
/// </para>
/// </remarks>
internal static class ClusterRepair
{
    /// <summary>How many times the removal's cost a split's gain must be worth.</summary>
    public const double Margin = 2;

    /// <summary>The most points of a batch read to measure a split (the first ones, in arrival order).</summary>
    public const int MaxSample = 4096;

    /// <summary>The least number of the batch's points the split cluster must have for its split to be measured.</summary>
    public const int MinimumPoints = 8;

    private const int SplitIterations = 8;

    /// <summary>Finds the move worth making, if any.</summary>
    /// <param name="centroids">k × d, after the M-step.</param>
    /// <param name="weights">Each cluster's weight.</param>
    /// <param name="inertia">Each cluster's discounted error.</param>
    /// <param name="heldUntil">Each slot's last version held still.</param>
    /// <param name="version">The version being made.</param>
    /// <param name="batchCounts">Each cluster's points in the batch.</param>
    /// <param name="points">The batch's points.</param>
    /// <param name="random">The model's generator.</param>
    /// <returns>The move, or null.</returns>
    public static RepairMove? Find(
        double[] centroids, double[] weights, double[] inertia, long[] heldUntil, long version,
        ReadOnlySpan<long> batchCounts, ReadOnlySpan<float> points, ModelRandom random)
    {
        int k = weights.Length;
        int d = centroids.Length / k;
        if (k < 2 || points.IsEmpty)
        {
            return null;
        }

        // The removal: the least utility bound w_c ‖μ_c − μ_ν‖² among clusters not held.
        int removed = -1;
        int receiver = -1;
        double utility = double.PositiveInfinity;
        for (int c = 0; c < k; c++)
        {
            if (heldUntil[c] >= version)
            {
                continue;
            }

            (int nearest, double distance) = NearestOther(centroids, k, d, c);
            double u = weights[c] * distance;
            if (u < utility)
            {
                utility = u;
                removed = c;
                receiver = nearest;
            }
        }

        // The split: the largest error among clusters with enough of the batch's points to measure it.
        int split = -1;
        for (int c = 0; c < k; c++)
        {
            if (c != removed && batchCounts[c] >= MinimumPoints && (split < 0 || inertia[c] > inertia[split]))
            {
                split = c;
            }
        }

        // A split can gain at most the cluster's whole error.
        if (removed < 0 || split < 0 || !(inertia[split] > Margin * utility))
        {
            return null;
        }

        int m = Math.Min(points.Length / d, MaxSample);
        ReadOnlySpan<float> sample = points[..(m * d)];
        var labels = new int[m];
        var distances = new float[m];
        HardEStep.Assign(new CentroidSet(centroids, k), sample, labels, distances);
        var members = new List<int>();
        for (int i = 0; i < m; i++)
        {
            if (labels[i] == split)
            {
                members.Add(i);
            }
        }

        if (members.Count < MinimumPoints)
        {
            return null;
        }

        ReadOnlySpan<double> mu = centroids.AsSpan(split * d, d);
        var memberDistances = new float[members.Count];
        double before = 0;
        for (int i = 0; i < members.Count; i++)
        {
            double e = SquaredDistance(sample.Slice(members[i] * d, d), mu);
            memberDistances[i] = (float)e;
            before += e;
        }

        var sampler = new D2Sampler(memberDistances, d);
        if (!(sampler.Total > 0))
        {
            return null;
        }

        // Two-means on the split cluster's points, from a D² draw and its mirror through the centroid.
        double[] a = new double[d];
        double[] b = new double[d];
        ReadOnlySpan<float> drawn = sample.Slice(members[sampler.Pick(random)] * d, d);
        for (int j = 0; j < d; j++)
        {
            a[j] = drawn[j];
            b[j] = (2 * mu[j]) - drawn[j];
        }

        (double after, int inA) = TwoMeans(sample, d, members, a, b);
        if (inA == 0 || inA == members.Count)
        {
            return null;
        }

        double gain = weights[split] * (before - after) / members.Count;
        if (!(gain > Margin * utility))
        {
            return null;
        }

        return new RepairMove(removed, split, receiver, utility, gain, a, b, (double)inA / members.Count, after / before);
    }

    private static (double Error, int InA) TwoMeans(ReadOnlySpan<float> sample, int d, List<int> members, double[] a, double[] b)
    {
        var sumA = new double[d];
        var sumB = new double[d];
        double error = 0;
        int inA = 0;
        for (int iteration = 0; iteration <= SplitIterations; iteration++)
        {
            Array.Clear(sumA);
            Array.Clear(sumB);
            error = 0;
            inA = 0;
            foreach (int i in members)
            {
                ReadOnlySpan<float> x = sample.Slice(i * d, d);
                double da = SquaredDistance(x, a);
                double db = SquaredDistance(x, b);
                double[] sum = da <= db ? sumA : sumB;
                inA += da <= db ? 1 : 0;
                error += Math.Min(da, db);
                for (int j = 0; j < d; j++)
                {
                    sum[j] += x[j];
                }
            }

            if (inA == 0 || inA == members.Count || iteration == SplitIterations)
            {
                break;
            }

            int inB = members.Count - inA;
            for (int j = 0; j < d; j++)
            {
                a[j] = sumA[j] / inA;
                b[j] = sumB[j] / inB;
            }
        }

        return (error, inA);
    }

    private static (int Nearest, double SquaredDistance) NearestOther(double[] centroids, int k, int d, int c)
    {
        ReadOnlySpan<double> mu = centroids.AsSpan(c * d, d);
        int nearest = -1;
        double best = double.PositiveInfinity;
        for (int o = 0; o < k; o++)
        {
            if (o == c)
            {
                continue;
            }

            ReadOnlySpan<double> other = centroids.AsSpan(o * d, d);
            double sum = 0;
            for (int j = 0; j < d; j++)
            {
                double diff = mu[j] - other[j];
                sum += diff * diff;
            }

            if (sum < best)
            {
                best = sum;
                nearest = o;
            }
        }

        return (nearest, best);
    }

    private static double SquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<double> mu)
    {
        double sum = 0;
        for (int j = 0; j < x.Length; j++)
        {
            double diff = x[j] - mu[j];
            sum += diff * diff;
        }

        return sum;
    }
}

/// <summary>A repair's move: the cluster removed, the one split and where the two halves go.</summary>
/// <param name="Removed">The slot of least utility, whose cluster is removed and which takes the split-off.</param>
/// <param name="Split">The slot of largest error, split in two.</param>
/// <param name="Receiver">The removed cluster's nearest neighbour, which takes its points.</param>
/// <param name="Utility">The removal's cost (the utility bound).</param>
/// <param name="Gain">The split's measured gain, scaled to the cluster's weight.</param>
/// <param name="NewCentroid">Where the split-off goes.</param>
/// <param name="SplitCentroid">Where the split cluster goes.</param>
/// <param name="NewShare">The split-off's share of the split cluster's points.</param>
/// <param name="ErrorRatio">The split's error over the cluster's error, on the sample.</param>
internal sealed record RepairMove(int Removed, int Split, int Receiver, double Utility, double Gain, double[] NewCentroid, double[] SplitCentroid, double NewShare, double ErrorRatio);
