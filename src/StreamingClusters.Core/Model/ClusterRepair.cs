using StreamingClusters.EStep;
using StreamingClusters.Randomness;
using StreamingClusters.Seeding;

namespace StreamingClusters.Model;

/// <summary>
/// Repair of local optima while the stream runs (after breathing k-means, Fritzke 2020): the pair of
/// clusters whose merge costs least is merged, and the slot it frees takes a cluster split off another,
/// when the split's gain is worth more than the merge's cost. Two splits are weighed: a group of points
/// arriving at a cluster apart from its past (followed across batches: exact gain from the statistics,
/// O(k d) per batch), and, at each look, two-means on the batch's points of the cluster of largest error
/// (a cluster that holds two groups).
/// </summary>
/// <remarks>
/// <para>
/// The removal is a merge: the removed cluster's weight, mean and error fold into its partner's, so no
/// point's weight is lost, and its cost is exact in the model's own (discounted) statistics: Ward's
/// w_c w_o / (w_c + w_o) ‖μ_c − μ_o‖². The runner-up utility Σ (d₂ − d₁) would price another move
/// (the points scattered to their runner-ups, no centroid moving); both are at most w_c ‖μ_c − μ_o‖²,
/// and the next E-step lowers either. Ward's cost needs no runner-up from the E-step's kernels; the
/// bound w_c ‖μ_c − μ_ν‖² used before, without the merge, lost the removed cluster's weight and left
/// long-lived clusters light and cheap to remove.
/// </para>
/// <para>
/// Error e_c is the model's discounted inertia, so the repair sees the recent past the M-step sees.
/// A group arriving at a cluster is followed while the cluster keeps getting points: the cluster's
/// weight and mean are exactly its past's (weight and centroid when the group began, discounted since)
/// and the group's, so the split gains P N / (P + N) ‖μ_past − x̄_group‖², which grows with a real
/// group and stays near d σ² for noise. The spread split's gain is measured, not assumed: two-means on
/// the cluster's points in the batch, scaled from the sample to the cluster's weight. A move is made only
/// when the gain is more than <see cref="Margin"/> (<see cref="RecentMargin"/> for an arriving group)
/// times the merge's cost, and it holds the new cluster, the one it split off and the merge's receiver
/// still for a while: none of them can be removed by the next moves, so a move is never undone at once.
/// </para>
/// <para>
/// A spread split measured and refused is remembered: on data whose clusters overlap or that has none,
/// the largest error is always large next to the merges' costs (both grow with the weights), and each
/// measure (an E-step of the batch and two-means) would be refused again. After n refusals in a row none
/// is measured, nor does the largest error open the cadence's look, for RepairEvery × 2^min(n, 4)
/// versions; any move starts afresh. Arriving groups are weighed at every batch as before.
/// </para>
/// </remarks>
internal static class ClusterRepair
{
    /// <summary>How many times the removal's cost a split's gain must be worth.</summary>
    public const double Margin = 1.5;

    /// <summary>
    /// How many times the removal's cost an arriving group's split must be worth: both are exact in the
    /// model's statistics, so a gain above the cost is real.
    /// </summary>
    public const double RecentMargin = 1;

    /// <summary>
    /// The points per batch a cluster's weight must lead one to expect, under forgetting, for a batch
    /// that gives it almost none to mark it as starving: its mode has died.
    /// </summary>
    public const double StarvingExpected = 20;

    /// <summary>The share of its expected points below which a batch leaves a cluster starving (one eighth).</summary>
    public const double StarvingShare = 8;

    /// <summary>
    /// How far a cluster's weight must have fallen since it last got its share for it to count as
    /// starving: a half-life without its points, so that a mode that pauses (a machine idle for a
    /// while, a regime that comes back) is not taken for one that has died.
    /// </summary>
    public const double StarvingDecay = 0.5;

    /// <summary>How many times the error per point of what it splits (an arriving group's: its cluster's past) a split's gain must be worth (a group of noise gains about one).</summary>
    public const double NoiseFloor = 25;

    /// <summary>The share of the last look's least cost a candidate must pass for the cadence's look to be made.</summary>
    public const double LookShare = 0.5;

    /// <summary>Every how many of the cadence's looks one is made whatever the candidates.</summary>
    public const int RefreshEvery = 16;

    /// <summary>
    /// The most doublings of the wait after spread splits measured and refused in a row: after the n-th,
    /// none is measured (nor lets the cadence look) for RepairEvery × 2^min(n, this) versions.
    /// </summary>
    public const int MaxSpreadBackoff = 4;

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
    /// <param name="look">Whether the cadence allows a look (k² d flops) now, made when a split could be worth <see cref="LookShare"/> of the last look's least cost; otherwise a look is made only when an arriving group is worth that whole cost.</param>
    /// <param name="refresh">Whether to look now whatever the candidates (the cadence's refresh of the least cost).</param>
    /// <param name="points">The batch's points.</param>
    /// <param name="random">The model's generator.</param>
    /// <returns>The move, or null.</returns>
    /// <param name="every">The cadence's interval in versions (the unit of the spread split's back-off).</param>
    public static RepairMove? Find(RepairInputs model, Statistics.ClusterStatistics statistics, double discount, long version, bool look, bool refresh, ReadOnlySpan<float> points, ModelRandom random, int every)
    {
        int k = model.Weights.Length;
        int d = model.Centroids.Length / k;
        if (k < 2 || points.IsEmpty)
        {
            return null;
        }

        ArrivingGroupState? group = FollowGroup(model, statistics, discount);
        double groupGain = group?.Gain ?? 0;
        model.Group = group;
        double last = model.LastLeastUtility;

        // After spread splits measured and refused in a row (clusters whose error is large next to the
        // merges' costs but that do not split: data without clusters, overlapping ones), the largest
        // error waits before it is measured again or lets the cadence look.
        bool spreadDue = version >= model.SpreadResumes;
        if (!(groupGain > RecentMargin * last) && !refresh && double.IsFinite(last))
        {
            // A look is worth its k² d flops only when a split could beat the merges' costs: an
            // arriving group, or the largest error (a spread split gains less), against a part of the
            // last look's least cost (centroids and weights move between looks).
            double largest = 0;
            for (int c = 0; c < k; c++)
            {
                if (statistics.Counts[c] >= MinimumPoints && !model.Reseeded[c])
                {
                    largest = Math.Max(largest, model.Inertia[c]);
                }
            }

            if (!look || !(groupGain > RecentMargin * LookShare * last || (spreadDue && largest > Margin * LookShare * last)))
            {
                if (!AnyStarving(model, statistics, discount))
                {
                    return null;
                }
            }
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

            // Of a pair, the lighter goes (its id retires; the heavier keeps its own). A starving
            // cluster's merge costs only its past, which the forgetting is taking away: nothing.
            // Its past is dropped, not merged: its points have stopped arriving, and merged they would
            // pull a live neighbour toward a dead place.
            bool starving = IsStarving(model, statistics, discount, c);
            double u = starving ? 0 : cost[c];
            if (u < utility || (u == utility && removed >= 0 && model.Weights[c] < model.Weights[removed]))
            {
                utility = u;
                removed = c;
                receiver = starving ? -1 : partner[c];
            }
        }

        model.LastLeastUtility = utility;
        if (removed < 0)
        {
            return null;
        }

        // The group's gain against noise in its cluster's past (the cluster's error now holds the group's own).
        if (group is not null && groupGain > NoiseFloor * (group.PastWeight > 0 ? group.PastInertia / group.PastWeight : 0))
        {
            // The group's own past may be the cheapest to give up (a dead mode's centroid that a new
            // one arrives at): then the slot passes to the group and the past merges into its partner.
            (int pastReceiver, double pastCost) = model.HeldUntil[group.Slot] < version ? PastMerge(model, group, statistics, discount) : (-1, double.PositiveInfinity);
            if (pastCost < utility && groupGain > RecentMargin * pastCost)
            {
                return ArrivingSplit(model, group, statistics, group.Slot, pastReceiver, pastCost, groupGain, points);
            }

            if (group.Slot != removed && groupGain > RecentMargin * utility)
            {
                return ArrivingSplit(model, group, statistics, removed, receiver, utility, groupGain, points);
            }
        }

        // The spread split: the largest error among clusters with enough of the batch's points to measure it.
        ReadOnlySpan<long> counts = statistics.Counts;
        int split = -1;
        for (int c = 0; c < k; c++)
        {
            if (c != removed && !model.Reseeded[c] && counts[c] >= MinimumPoints && (split < 0 || model.Inertia[c] > model.Inertia[split]))
            {
                split = c;
            }
        }

        // A split can gain at most the cluster's whole error.
        if (!spreadDue || split < 0 || !(model.Inertia[split] > Margin * utility))
        {
            return null;
        }

        RepairMove? spread = SpreadSplit(model, split, removed, receiver, utility, points, random);
        if (spread is null)
        {
            model.SpreadMisses++;
            model.SpreadResumes = version + ((long)every << Math.Min(model.SpreadMisses, MaxSpreadBackoff));
        }

        return spread;
    }

    /// <summary>
    /// Whether cluster <paramref name="c"/> is starving: under forgetting its weight w leads one to
    /// expect λ = w (1 − a) of the batch's points (its share in the steady state), at least
    /// <see cref="StarvingExpected"/>, and the batch gave it at most λ / <see cref="StarvingShare"/>
    /// (for λ = 20, at most 2: a live cluster gets so few with probability 5 × 10⁻⁷), and its weight has
    /// fallen to <see cref="StarvingDecay"/> of what it was when it last got its share.
    /// </summary>
    private static bool IsStarving(RepairInputs model, Statistics.ClusterStatistics statistics, double discount, int c)
    {
        double expected = model.Weights[c] * (1 - discount);
        return discount < 1 && expected >= StarvingExpected && statistics.Counts[c] * StarvingShare <= expected
            && model.Weights[c] <= StarvingDecay * model.FedWeights[c];
    }

    /// <summary>
    /// Whether a cluster got its share of the batch (more than 1 / <see cref="StarvingShare"/> of the
    /// points its weight leads one to expect), or the model does not forget.
    /// </summary>
    /// <param name="weight">The cluster's weight after the M-step.</param>
    /// <param name="count">Its points in the batch.</param>
    /// <param name="discount">The discount the M-step applied.</param>
    /// <returns>Whether its weight now counts as the weight it was last fed at.</returns>
    public static bool Fed(double weight, long count, double discount) =>
        discount >= 1 || count * StarvingShare > weight * (1 - discount);

    private static bool AnyStarving(RepairInputs model, Statistics.ClusterStatistics statistics, double discount)
    {
        for (int c = 0; c < model.Weights.Length; c++)
        {
            if (IsStarving(model, statistics, discount, c) && !model.Reseeded[c])
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The cheapest merge of a group's past (its centroid and weight before the group) into another
    /// cluster; or, when the past is starving (of the batch's points of the cluster, those that lie
    /// on its side, read from where their mean falls between the past and the group, are at most
    /// 1 / <see cref="StarvingShare"/> of the λ = P (1 − a) its weight leads one to expect, λ at least
    /// <see cref="StarvingExpected"/>, and the group has been followed for a half-life: P has fallen to
    /// <see cref="StarvingDecay"/> of its weight when the group began), no receiver (the past is dropped)
    /// at no cost.
    /// </summary>
    private static (int Receiver, double Cost) PastMerge(RepairInputs model, ArrivingGroupState group, Statistics.ClusterStatistics statistics, double discount)
    {
        int k = model.Weights.Length;
        int d = model.Centroids.Length / k;
        double expected = group.PastWeight * (1 - discount);
        long n = statistics.Counts[group.Slot];
        if (discount < 1 && expected >= StarvingExpected && n > 0 && group.PastWeight <= StarvingDecay * group.PastStartWeight)
        {
            // The batch's mean as (1 − t) x̄_group + t μ_past: t n of its points are the past's.
            ReadOnlySpan<double> sum = statistics.SumOf(group.Slot);
            double along = 0;
            double span = 0;
            for (int j = 0; j < d; j++)
            {
                double axis = group.PastCentroid[j] - group.Mean[j];
                along += ((sum[j] / n) - group.Mean[j]) * axis;
                span += axis * axis;
            }

            double share = span > 0 ? Math.Clamp(along / span, 0, 1) : 1;
            if (share * n * StarvingShare <= expected)
            {
                return (-1, 0);
            }
        }

        int best = -1;
        double cost = double.PositiveInfinity;
        for (int o = 0; o < k; o++)
        {
            double total = group.PastWeight + model.Weights[o];
            if (o == group.Slot || !(total > 0))
            {
                continue;
            }

            double c = group.PastWeight * model.Weights[o] / total * SquaredDistance(group.PastCentroid, model.Centroids.AsSpan(o * d, d));
            if (c < cost)
            {
                (best, cost) = (o, c);
            }
        }

        return (best, cost);
    }

    /// <summary>Cluster <paramref name="c"/>'s error per unit of weight (0 for an empty cluster).</summary>
    private static double PerPointError(RepairInputs model, int c) =>
        model.Weights[c] > 0 ? model.Inertia[c] / model.Weights[c] : 0;

    /// <summary>
    /// The group followed after this batch. The followed cluster's points of the batch join its group
    /// (dropped when it has fewer than <see cref="MinimumPoints"/> of them or was reseeded); a cluster's
    /// points of the batch apart from its past (the followed one's too: a second group arriving where the
    /// first did) start a new group when they alone are worth more. Exact and O(k d): the cluster's weight and mean are its past's and its group's, so the
    /// gain is the between-groups error P N / (P + N) ‖μ_past − x̄_group‖².
    /// </summary>
    private static ArrivingGroupState? FollowGroup(RepairInputs model, Statistics.ClusterStatistics statistics, double discount)
    {
        int k = model.Weights.Length;
        int d = model.Centroids.Length / k;
        ReadOnlySpan<long> counts = statistics.Counts;
        ArrivingGroupState? group = model.Group;
        if (group is not null)
        {
            int g = group.Slot;
            long n = counts[g];
            if (n < MinimumPoints || model.Reseeded[g])
            {
                group = null;
            }
            else
            {
                // Chan's update: the group's (discounted) weight, mean and error about its mean with the batch's points.
                double kept = discount * group.Weight;
                double total = kept + n;
                ReadOnlySpan<double> sum = statistics.SumOf(g);
                var mean = new double[d];
                double between = 0;
                double spread = 0;
                for (int j = 0; j < d; j++)
                {
                    double batchMean = sum[j] / n;
                    double diff = group.Mean[j] - batchMean;
                    between += diff * diff;
                    double off = batchMean - model.PreviousCentroids[(g * d) + j];
                    spread += off * off;
                    mean[j] = ((kept * group.Mean[j]) + sum[j]) / total;
                }

                double batchError = Math.Max(0, statistics.SquaredErrors[g] - (n * spread));
                group = group with
                {
                    PastWeight = discount * group.PastWeight,
                    PastInertia = discount * group.PastInertia,
                    Mean = mean,
                    Weight = total,
                    Error = (discount * group.Error) + batchError + (kept * n / total * between),
                };
            }
        }

        // The best new group: a cluster's points of the batch apart from its past.
        ref double previous = ref MemoryMarshal.GetArrayDataReference(model.PreviousCentroids);
        ref double sums = ref MemoryMarshal.GetReference(statistics.Sums);
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

            // ‖μ − s / n‖² as ‖n μ − s‖² / n²: one division per cluster, not one per coordinate.
            double gain = past * n / (past + n) * (ScaledSquaredDistance(ref previous, ref sums, c * d, d, n) / ((double)n * n));
            if (gain > recentGain)
            {
                recentGain = gain;
                recent = c;
            }
        }

        if (recent < 0 || !(recentGain > (group?.Gain ?? 0)))
        {
            return group;
        }

        return NewGroup(model, statistics, discount, recent);
    }

    /// <summary>A group of one batch: cluster <paramref name="slot"/>'s points of the batch apart from its past.</summary>
    private static ArrivingGroupState NewGroup(RepairInputs model, Statistics.ClusterStatistics statistics, double discount, int slot)
    {
        int d = model.Centroids.Length / model.Weights.Length;
        long n = statistics.Counts[slot];
        var mean = new double[d];
        ReadOnlySpan<double> sum = statistics.SumOf(slot);
        for (int j = 0; j < d; j++)
        {
            mean[j] = sum[j] / n;
        }

        // The batch's error about its own mean: its error about the old centroid less the between part.
        ReadOnlySpan<double> before = model.PreviousCentroids.AsSpan(slot * d, d);
        return new ArrivingGroupState
        {
            Slot = slot,
            PastCentroid = before.ToArray(),
            PastWeight = discount * model.PreviousWeights[slot],
            PastStartWeight = discount * model.PreviousWeights[slot],
            PastInertia = discount * model.PreviousInertia[slot],
            Mean = mean,
            Weight = n,
            Error = Math.Max(0, statistics.SquaredErrors[slot] - (n * SquaredDistance(mean, before))),
        };
    }

    /// <summary>
    /// The split of an arriving group off its cluster. The group's points of earlier batches stay in it;
    /// of this batch's points of the cluster, those two-means (from the group's mean and the past
    /// centroid) puts on the group's side join it, the others stay with the past: a group arriving
    /// among the cluster's own points takes only its own. The cluster keeps the rest of its statistics
    /// (its weight and sum less the group's).
    /// </summary>
    private static RepairMove ArrivingSplit(RepairInputs model, ArrivingGroupState group, Statistics.ClusterStatistics statistics, int removed, int receiver, double utility, double gain, ReadOnlySpan<float> points)
    {
        int k = model.Weights.Length;
        int d = model.Centroids.Length / k;
        int s = group.Slot;
        long batchCount = statistics.Counts[s];
        ReadOnlySpan<double> batchSum = statistics.SumOf(s);

        // This batch's points of the cluster, as the E-step assigned them (against the version before).
        int m = Math.Min(points.Length / d, MaxSample);
        ReadOnlySpan<float> sample = points[..(m * d)];
        var labels = new int[m];
        var distances = new float[m];
        HardEStep.Assign(new CentroidSet(model.PreviousCentroids, k), sample, labels, distances);
        var members = new List<int>();
        for (int i = 0; i < m; i++)
        {
            if (labels[i] == s)
            {
                members.Add(i);
            }
        }

        double earlier = Math.Max(0, group.Weight - batchCount);
        var newSum = new double[d];
        for (int j = 0; j < d; j++)
        {
            newSum[j] = (group.Weight * group.Mean[j]) - batchSum[j];
        }

        double newWeight = earlier;
        double newError = group.Weight > 0 ? group.Error * (earlier / group.Weight) : 0;
        if (members.Count >= MinimumPoints)
        {
            double[] a = (double[])group.Mean.Clone();
            double[] b = (double[])group.PastCentroid.Clone();
            _ = TwoMeans(sample, d, members, a, b);
            var sideSum = new double[d];
            int side = 0;
            foreach (int i in members)
            {
                ReadOnlySpan<float> x = sample.Slice(i * d, d);
                if (SquaredDistance(x, a) <= SquaredDistance(x, b))
                {
                    side++;
                    for (int j = 0; j < d; j++)
                    {
                        sideSum[j] += x[j];
                    }
                }
            }

            // From the sample to the batch: exact when the sample is the whole batch.
            double scale = (double)batchCount / members.Count;
            double sideError = 0;
            if (side > 0)
            {
                var sideMean = new double[d];
                for (int j = 0; j < d; j++)
                {
                    sideMean[j] = sideSum[j] / side;
                }

                foreach (int i in members)
                {
                    ReadOnlySpan<float> x = sample.Slice(i * d, d);
                    if (SquaredDistance(x, a) <= SquaredDistance(x, b))
                    {
                        sideError += SquaredDistance(x, sideMean);
                    }
                }
            }

            for (int j = 0; j < d; j++)
            {
                newSum[j] += scale * sideSum[j];
            }

            newWeight += scale * side;
            newError += scale * sideError;
        }
        else
        {
            for (int j = 0; j < d; j++)
            {
                newSum[j] += batchSum[j];
            }

            newWeight += batchCount;
            newError = group.Error;
        }

        double weight = model.Weights[s];
        if (!(newWeight > 0) || !(weight - newWeight > 0))
        {
            return new RepairMove(RepairSplit.Recent, removed, s, receiver, utility, gain,
                group.Mean, group.PastCentroid, group.Weight, group.Error, group.PastWeight, group.PastInertia);
        }

        var newCentroid = new double[d];
        var fromCentroid = new double[d];
        double fromWeight = weight - newWeight;
        double between = 0;
        for (int j = 0; j < d; j++)
        {
            newCentroid[j] = newSum[j] / newWeight;
            fromCentroid[j] = ((weight * model.Centroids[(s * d) + j]) - newSum[j]) / fromWeight;
            double diff = newCentroid[j] - fromCentroid[j];
            between += diff * diff;
        }

        double fromError = Math.Max(0, model.Inertia[s] - newError - (newWeight * fromWeight / weight * between));
        return new RepairMove(RepairSplit.Recent, removed, s, receiver, utility, gain,
            newCentroid, fromCentroid, newWeight, newError, fromWeight, fromError);
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
        if (!(gain > Margin * utility) || !(gain > NoiseFloor * PerPointError(model, split)))
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

    /// <summary>‖n μ − s‖² over the d values from <paramref name="offset"/>, a vector of coordinates at a time (lanes summed at the end), then one by one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ScaledSquaredDistance(ref double mu, ref double sum, int offset, int d, long n)
    {
        double scale = n;
        int j = 0;
        double total = 0;
        if (Vector.IsHardwareAccelerated && d >= Vector<double>.Count)
        {
            var scaleVector = new Vector<double>(scale);
            var acc = Vector<double>.Zero;
            for (; j <= d - Vector<double>.Count; j += Vector<double>.Count)
            {
                Vector<double> diff = (scaleVector * Vector.LoadUnsafe(ref mu, (nuint)(offset + j))) - Vector.LoadUnsafe(ref sum, (nuint)(offset + j));
                acc += diff * diff;
            }

            total = Vector.Sum(acc);
        }

        for (; j < d; j++)
        {
            double diff = (scale * Unsafe.Add(ref mu, offset + j)) - Unsafe.Add(ref sum, offset + j);
            total += diff * diff;
        }

        return total;
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

    /// <summary>Gets each cluster's weight when it last got its share of a batch (see <see cref="ClusterRepair.Fed"/>).</summary>
    public required double[] FedWeights { get; init; }

    public required bool[] Reseeded { get; init; }

    /// <summary>Gets or sets the group arriving apart from its cluster's past that the repair follows, or null.</summary>
    public ArrivingGroupState? Group { get; set; }

    /// <summary>Gets or sets the least utility the last look found (+∞ before the first).</summary>
    public double LastLeastUtility { get; set; }

    /// <summary>Gets or sets the spread splits measured and refused in a row (0 after any move).</summary>
    public int SpreadMisses { get; set; }

    /// <summary>Gets or sets the first version a spread split may be measured in again.</summary>
    public long SpreadResumes { get; set; }
}

/// <summary>A repair's move: the cluster removed, the one split and where the two halves go.</summary>
/// <param name="Split">How the cluster is split.</param>
/// <param name="Removed">The slot of least utility, whose cluster is removed and which takes the split-off.</param>
/// <param name="From">The slot split in two.</param>
/// <param name="Receiver">The cluster the removed one merges into, or −1 when its past is dropped (starving).</param>
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
