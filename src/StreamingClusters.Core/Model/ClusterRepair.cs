using StreamingClusters.EStep;
using StreamingClusters.Randomness;
using StreamingClusters.Seeding;

namespace StreamingClusters.Model;

/// <summary>
/// Repair of local optima while the stream runs (after breathing k-means, Fritzke 2020): the cluster of
/// least utility is removed and a new one split off another, when the split's gain is worth more than
/// what the removal costs. Two splits are weighed: the batch's points of a cluster apart from its past
/// (a group arriving where a cluster already was: exact gain from the statistics, O(k d), every batch),
/// and, at each look, two-means on the batch's points of the cluster of largest error (a cluster that
/// holds two groups).
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

    /// <summary>
    /// How many times the removal's cost a recent split's gain must be worth: its gain is exact (the
    /// batch's own statistics), the cost an upper bound, so a gain just above the cost is real.
    /// </summary>
    public const double RecentMargin = 1;

    /// <summary>The most points of a batch read to measure a split (the first ones, in arrival order).</summary>
    public const int MaxSample = 4096;

    /// <summary>The least number of the batch's points the split cluster must have for its split to be measured.</summary>
    public const int MinimumPoints = 8;

    private const int SplitIterations = 8;

    /// <summary>Finds the move worth making, if any.</summary>
    /// <param name="model">The model's arrays now (after the M-step) and before it.</param>
    /// <param name="statistics">The batch's statistics (against the version before).</param>
    /// <param name="discount">The discount the M-step applied.</param>
    /// <param name="version">The version being made.</param>
    /// <param name="look">Whether to weigh every removal now (k² d flops); otherwise only when a recent split is worth the last look's least utility.</param>
    /// <param name="points">The batch's points.</param>
    /// <param name="random">The model's generator.</param>
    /// <returns>The move, or null.</returns>
    public static RepairMove? Find(RepairInputs model, Statistics.ClusterStatistics statistics, double discount, long version, bool look, ReadOnlySpan<float> points, ModelRandom random)
    {
        int k = model.Weights.Length;
        int d = model.Centroids.Length / k;
        if (k < 2 || points.IsEmpty)
        {
            return null;
        }

        // The recent split of each cluster: the batch's points apart from the cluster's past. Exact and
        // O(k d): gain = (a w n / (a w + n)) ‖μ_before − x̄_batch‖², the between-groups error.
        ReadOnlySpan<long> counts = statistics.Counts;
        int recent = -1;
        double recentGain = 0;
        for (int c = 0; c < k; c++)
        {
            long n = counts[c];
            double past = discount * model.PreviousWeights[c];
            if (n < MinimumPoints || past <= 0 || model.Reseeded[c])
            {
                continue;
            }

            double between = 0;
            ReadOnlySpan<double> sum = statistics.SumOf(c);
            for (int j = 0; j < d; j++)
            {
                double diff = model.PreviousCentroids[(c * d) + j] - (sum[j] / n);
                between += diff * diff;
            }

            double gain = past * n / (past + n) * between;
            if (gain > recentGain)
            {
                recentGain = gain;
                recent = c;
            }
        }

        if (!look && !(recentGain > RecentMargin * model.LastLeastUtility))
        {
            return null;
        }

        // The removal: the pair of clusters, one of them not held, whose merge costs least.
        int removed = -1;
        int receiver = -1;
        double utility = double.PositiveInfinity;
        (int[] partner, double[] cost) = CheapestMerges(model.Centroids, model.Weights, k, d);
        for (int c = 0; c < k; c++)
        {
            if (model.HeldUntil[c] >= version || model.Reseeded[c] || partner[c] < 0)
            {
                continue;
            }

            // Of a pair, the lighter goes (its id retires; the heavier keeps its own).
            double u = cost[c];
            if (u < utility || (u == utility && removed >= 0 && model.Weights[c] < model.Weights[removed]))
            {
                utility = u;
                removed = c;
                receiver = partner[c];
            }
        }

        model.LastLeastUtility = utility;
        if (removed < 0)
        {
            return null;
        }

        if (recent >= 0 && recent != removed && recentGain > RecentMargin * utility)
        {
            long n = counts[recent];
            double past = discount * model.PreviousWeights[recent];
            var mean = new double[d];
            ReadOnlySpan<double> sum = statistics.SumOf(recent);
            for (int j = 0; j < d; j++)
            {
                mean[j] = sum[j] / n;
            }

            // The batch's error about its own mean: its error about the old centroid less the between part.
            double batchError = Math.Max(0, statistics.SquaredErrors[recent] - (n * SquaredDistance(mean, model.PreviousCentroids.AsSpan(recent * d, d))));
            return new RepairMove(RepairSplit.Recent, removed, recent, receiver, utility, recentGain,
                mean, model.PreviousCentroids.AsSpan(recent * d, d).ToArray(), n, batchError, past, discount * model.PreviousInertia[recent]);
        }

        // The spread split: the largest error among clusters with enough of the batch's points to measure it.
        int split = -1;
        for (int c = 0; c < k; c++)
        {
            if (c != removed && !model.Reseeded[c] && counts[c] >= MinimumPoints && (split < 0 || model.Inertia[c] > model.Inertia[split]))
            {
                split = c;
            }
        }

        // A split can gain at most the cluster's whole error.
        if (split < 0 || !(model.Inertia[split] > Margin * utility))
        {
            return null;
        }

        return SpreadSplit(model, split, removed, receiver, utility, points, random);
    }

    private static RepairMove? SpreadSplit(RepairInputs model, int split, int removed, int receiver, double utility, ReadOnlySpan<float> points, ModelRandom random)
    {
        double[] centroids = model.Centroids;
        int k = model.Weights.Length;
        int d = centroids.Length / k;
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

        double weight = model.Weights[split];
        double gain = weight * (before - after) / members.Count;
        if (!(gain > Margin * utility))
        {
            return null;
        }

        double share = (double)inA / members.Count;
        double inertia = model.Inertia[split] * (after / before);
        return new RepairMove(RepairSplit.Spread, removed, split, receiver, utility, gain,
            a, b, weight * share, inertia * share, weight * (1 - share), inertia * (1 - share));
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

    /// <summary>
    /// Each cluster's cheapest merge: the other cluster o (ties to the lowest index) and the error the
    /// merge adds, w_c w_o / (w_c + w_o) ‖μ_c − μ_o‖² (Ward's cost; exact for discounted means). Each pair
    /// is computed once: the cost is symmetric in its bits (‖μ_o − μ_c‖² is ‖μ_c − μ_o‖², a negation is
    /// exact, and the weights' product and sum commute), and each cluster meets its others in ascending
    /// order, as a scan per cluster would.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (int[] Partner, double[] Cost) CheapestMerges(double[] centroids, double[] weights, int k, int d)
    {
        var partner = new int[k];
        var best = new double[k];
        Array.Fill(best, double.PositiveInfinity);
        Array.Fill(partner, -1);
        ref double origin = ref MemoryMarshal.GetArrayDataReference(centroids);
        for (int c = 0; c < k; c++)
        {
            double wc = weights[c];
            for (int o = c + 1; o < k; o++)
            {
                double wo = weights[o];
                double total = wc + wo;
                double sum = total > 0 ? wc * wo / total * SquaredDistance(ref Unsafe.Add(ref origin, c * d), ref Unsafe.Add(ref origin, o * d), d) : 0;
                if (sum < best[c])
                {
                    best[c] = sum;
                    partner[c] = o;
                }

                if (sum < best[o])
                {
                    best[o] = sum;
                    partner[o] = c;
                }
            }
        }

        return (partner, best);
    }

    /// <summary>‖a − b‖² over d values, as the span overload sums it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double SquaredDistance(ref double a, ref double b, int d)
    {
        int j = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && d >= Vector<double>.Count)
        {
            var acc = Vector<double>.Zero;
            for (; j <= d - Vector<double>.Count; j += Vector<double>.Count)
            {
                Vector<double> diff = Vector.LoadUnsafe(ref a, (nuint)j) - Vector.LoadUnsafe(ref b, (nuint)j);
                acc += diff * diff;
            }

            sum = Vector.Sum(acc);
        }

        for (; j < d; j++)
        {
            double diff = Unsafe.Add(ref a, j) - Unsafe.Add(ref b, j);
            sum += diff * diff;
        }

        return sum;
    }

    /// <summary>‖a − b‖², a vector at a time then one by one: the same sum for the same input on a given machine.</summary>
    private static double SquaredDistance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int j = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<double>.Count)
        {
            var acc = Vector<double>.Zero;
            for (; j <= a.Length - Vector<double>.Count; j += Vector<double>.Count)
            {
                Vector<double> diff = new Vector<double>(a[j..]) - new Vector<double>(b[j..]);
                acc += diff * diff;
            }

            sum = Vector.Sum(acc);
        }

        for (; j < a.Length; j++)
        {
            double diff = a[j] - b[j];
            sum += diff * diff;
        }

        return sum;
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

/// <summary>How a repair splits the cluster of largest error or gain.</summary>
internal enum RepairSplit
{
    /// <summary>Its points in the batch, two-means apart (a cluster that holds two groups).</summary>
    Spread,

    /// <summary>Its points in the batch apart from its past (a new group arriving where a cluster already was).</summary>
    Recent,
}

/// <summary>What the repair reads of the model, and the least utility of its last look.</summary>
internal sealed class RepairInputs
{
    public required double[] Centroids { get; init; }

    public required double[] Weights { get; init; }

    public required double[] Inertia { get; init; }

    public required double[] PreviousCentroids { get; init; }

    public required double[] PreviousWeights { get; init; }

    public required double[] PreviousInertia { get; init; }

    public required long[] HeldUntil { get; init; }

    public required bool[] Reseeded { get; init; }

    /// <summary>Gets or sets the least utility the last look found (+∞ before the first).</summary>
    public double LastLeastUtility { get; set; }
}

/// <summary>A repair's move: the cluster removed, the one split and where the two halves go.</summary>
/// <param name="Split">How the cluster is split.</param>
/// <param name="Removed">The slot of least utility, whose cluster is removed and which takes the split-off.</param>
/// <param name="From">The slot split in two.</param>
/// <param name="Receiver">The removed cluster's nearest neighbour, which takes its points.</param>
/// <param name="Utility">The removal's cost (the utility bound).</param>
/// <param name="Gain">The split's gain.</param>
/// <param name="NewCentroid">Where the split-off goes.</param>
/// <param name="FromCentroid">Where the split cluster goes.</param>
/// <param name="NewWeight">The split-off's weight.</param>
/// <param name="NewInertia">The split-off's error.</param>
/// <param name="FromWeight">The split cluster's weight.</param>
/// <param name="FromInertia">The split cluster's error.</param>
internal sealed record RepairMove(
    RepairSplit Split, int Removed, int From, int Receiver, double Utility, double Gain,
    double[] NewCentroid, double[] FromCentroid, double NewWeight, double NewInertia, double FromWeight, double FromInertia);
