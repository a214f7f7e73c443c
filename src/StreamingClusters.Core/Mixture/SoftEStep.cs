using System.Buffers;
using System.Numerics.Tensors;
using StreamingClusters.Statistics;

namespace StreamingClusters.Mixture;

/// <summary>
/// The soft E-step of a diagonal Gaussian mixture: each point's responsibilities
/// γ_c = exp(l_c − log Σ_c' exp l_c') by log-sum-exp (the largest log-density subtracted first, so a far
/// point's responsibilities are as exact as a near one's), its log-likelihood log p(x) and its most likely
/// component, and the statistics the M-step needs from them. The log-densities come from a vector kernel
/// (<see cref="SoftEStepVector512"/>, <see cref="SoftEStepVector256"/>, or the scalar twin); the moments
/// gather in single precision over at most <see cref="Flush"/> points, about the version's means, then
/// widen into the double statistics. A point far beyond the model's spread (every log-density below
/// <see cref="FarLogDensity"/>, or overflowing single precision) is taken again in double precision.
/// </summary>
public static class SoftEStep
{
    /// <summary>
    /// Responsibilities below this (2⁻²⁴, below single precision's resolution of the point's total of 1)
    /// are left out of the moments and the mass; they change no sum by more than its own rounding.
    /// </summary>
    public const float Negligible = 1f / (1 << 24);

    /// <summary>Points whose moments gather in single precision before they widen into the statistics.</summary>
    internal const int Flush = 256;

    /// <summary>
    /// Below this log-density of its most likely component (nats) a point is taken in double precision:
    /// there single precision's step between neighbouring values (1/128 at 2¹⁶) would blur the differences
    /// that decide its responsibilities, and further out the squares overflow.
    /// </summary>
    internal const float FarLogDensity = -(1 << 16);

    /// <summary>The most padded components whose log-densities live on the stack.</summary>
    private const int StackComponents = 1024;

    /// <summary>Assigns every point softly and adds it to <paramref name="statistics"/>, in point order.</summary>
    /// <param name="model">The version to assign against.</param>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="statistics">Statistics of the model's shape; the points are added to them.</param>
    /// <param name="labels">Empty, or n slots for each point's most likely component.</param>
    /// <param name="logLikelihoods">Empty, or n slots for each point's log-likelihood log p(x).</param>
    public static void Accumulate(MixtureComponents model, ReadOnlySpan<float> points, MixtureStatistics statistics, Span<int> labels = default, Span<float> logLikelihoods = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(statistics);
        int k = model.Clusters;
        int d = model.Dimensions;
        if (statistics.Clusters != k || statistics.Dimensions != d)
        {
            throw new ArgumentException(
                $"Statistics of shape (k={statistics.Clusters}, d={statistics.Dimensions}) do not match the model (k={k}, d={d}).", nameof(statistics));
        }

        int n = CheckBlock(model, points, labels, logLikelihoods, default);
        float[] first = ArrayPool<float>.Shared.Rent(k * d);
        float[] second = ArrayPool<float>.Shared.Rent(k * d);
        float[]? rented = model.PaddedClusters > StackComponents ? ArrayPool<float>.Shared.Rent(model.PaddedClusters) : null;
        Span<float> l = rented is null ? stackalloc float[model.PaddedClusters] : rented.AsSpan(0, model.PaddedClusters);
        try
        {
            Array.Clear(first, 0, k * d);
            Array.Clear(second, 0, k * d);
            Span<long> counts = statistics.Counts;
            Span<double> mass = statistics.Mass;
            double logLikelihood = statistics.LogLikelihood;
            int pending = 0;
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<float> x = points.Slice(i * d, d);
                int label;
                float pointLogLikelihood;
                if (Posterior(model, x, l, out label, out pointLogLikelihood, out float inverse))
                {
                    AddSignificant(model, x, l, inverse, mass, first, second);
                    pending++;
                }
                else
                {
                    pointLogLikelihood = (float)AccumulateFar(model, x, statistics, out label);
                }

                counts[label]++;
                logLikelihood += pointLogLikelihood;
                if (!labels.IsEmpty)
                {
                    labels[i] = label;
                }

                if (!logLikelihoods.IsEmpty)
                {
                    logLikelihoods[i] = pointLogLikelihood;
                }

                if (pending == Flush)
                {
                    Widen(first, second, k * d, statistics);
                    pending = 0;
                }
            }

            if (pending > 0)
            {
                Widen(first, second, k * d, statistics);
            }

            statistics.LogLikelihood = logLikelihood;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(first);
            ArrayPool<float>.Shared.Return(second);
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Scores points: each one's most likely component, that component's responsibility, and the point's log-likelihood.</summary>
    /// <param name="model">The version to score against.</param>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="labels">n slots for each point's most likely component.</param>
    /// <param name="logLikelihoods">n slots for each point's log-likelihood log p(x).</param>
    /// <param name="responsibilities">Empty, or n slots for the responsibility of each point's most likely component.</param>
    public static void Score(MixtureComponents model, ReadOnlySpan<float> points, Span<int> labels, Span<float> logLikelihoods, Span<float> responsibilities = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        int n = CheckBlock(model, points, labels, logLikelihoods, responsibilities);
        if (labels.Length < n || logLikelihoods.Length < n)
        {
            throw new ArgumentException($"Labels and log-likelihoods need room for {n} points.", nameof(labels));
        }

        int d = model.Dimensions;
        float[]? rented = model.PaddedClusters > StackComponents ? ArrayPool<float>.Shared.Rent(model.PaddedClusters) : null;
        Span<float> l = rented is null ? stackalloc float[model.PaddedClusters] : rented.AsSpan(0, model.PaddedClusters);
        double[]? far = null;
        try
        {
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<float> x = points.Slice(i * d, d);
                float top;
                if (Posterior(model, x, l, out int label, out float pointLogLikelihood, out float inverse))
                {
                    top = l[label] * inverse;
                }
                else
                {
                    far ??= new double[model.Clusters];
                    pointLogLikelihood = (float)PosteriorFar(model, x, far, out label);
                    top = (float)far[label];
                }

                labels[i] = label;
                logLikelihoods[i] = pointLogLikelihood;
                if (!responsibilities.IsEmpty)
                {
                    responsibilities[i] = top;
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Computes every padded component's log-density of one point with the kernel of the model's layout.</summary>
    /// <param name="model">The version.</param>
    /// <param name="x">The point.</param>
    /// <param name="logDensities">PaddedClusters slots.</param>
    internal static void LogDensities(MixtureComponents model, ReadOnlySpan<float> x, Span<float> logDensities)
    {
        if (model.Lanes == 16 && Vector512.IsHardwareAccelerated)
        {
            SoftEStepVector512.LogDensities(model, x, logDensities);
        }
        else if (model.Lanes == 8 && Vector256.IsHardwareAccelerated)
        {
            SoftEStepVector256.LogDensities(model, x, logDensities);
        }
        else
        {
            SoftEStepScalar.LogDensities(model, x, logDensities);
        }
    }

    /// <summary>
    /// The responsibilities of one point in single precision by log-sum-exp: γ_c = <paramref name="l"/>[c] ×
    /// <paramref name="inverse"/> (left unnormalised, so that only the components used are scaled); false when the largest log-density is below <see cref="FarLogDensity"/>, −∞ or not a
    /// number (the caller then takes the point in double precision).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Posterior(MixtureComponents model, ReadOnlySpan<float> x, Span<float> l, out int label, out float logLikelihood, out float inverse)
    {
        inverse = 0;
        LogDensities(model, x, l);
        float max;
        float sum;
        if (model.Lanes == 16 && Vector512.IsHardwareAccelerated)
        {
            (label, max, sum) = SoftEStepVector512.Normalise(l, model.PaddedClusters, FarLogDensity);
        }
        else if (model.Lanes == 8 && Vector256.IsHardwareAccelerated)
        {
            (label, max, sum) = SoftEStepVector256.Normalise(l, model.PaddedClusters, FarLogDensity);
        }
        else
        {
            (label, max, sum) = NormaliseScalar(l, FarLogDensity);
        }

        if (!(max > FarLogDensity))
        {
            logLikelihood = float.NaN;
            return false;
        }

        logLikelihood = max + MathF.Log(sum);
        inverse = 1 / sum;
        return true;
    }

    /// <summary>
    /// The scalar twin of the vector paths' Normalise, with their bits: the first component of the largest
    /// log-density (a NaN anywhere makes the maximum NaN, as Vector512.Max does), and, unless that is at most
    /// <paramref name="far"/>, exp(l − max) in place and its sum. The exponentials are Vector128.Exp's, four
    /// components at a time, and component c adds into lane c mod 16 of four Vector128 accumulators that meet
    /// in <see cref="SumLanes"/>, as on the vector paths. What is not checked: a test holds the three paths
    /// to the same bits on an x64 machine with FMA (with and without AVX-512); on a machine without fused
    /// multiply-add (x64 before AVX2) or on Arm64, Vector128.Exp's polynomial and MathF.FusedMultiplyAdd's
    /// emulation may round differently, so the scalar path's bits are the vector paths' only as far as those are.
    /// </summary>
    internal static (int Label, float Max, float Sum) NormaliseScalar(Span<float> l, float far)
    {
        float max = float.NegativeInfinity;
        for (int c = 0; c < l.Length; c++)
        {
            max = MathF.Max(max, l[c]);
        }

        int label = 0;
        for (int c = 0; c < l.Length; c++)
        {
            if (l[c] == max)
            {
                label = c;
                break;
            }
        }

        if (!(max > far))
        {
            return (label, max, 0);
        }

        var wanted = Vector128.Create(max);
        Span<Vector128<float>> quarters = stackalloc Vector128<float>[4];
        quarters.Clear();
        Span<float> four = stackalloc float[4];
        for (int c = 0; c < l.Length; c += 4)
        {
            int m = Math.Min(4, l.Length - c);
            four.Fill(float.NegativeInfinity);
            l.Slice(c, m).CopyTo(four);
            Vector128<float> e = Vector128.Exp(Vector128.Create((ReadOnlySpan<float>)four) - wanted);
            e.CopyTo(four);
            four[..m].CopyTo(l.Slice(c, m));
            quarters[(c >> 2) & 3] += e;
        }

        return (label, max, SumLanes(quarters[0], quarters[1], quarters[2], quarters[3]));
    }

    /// <summary>
    /// Adds sixteen lanes, given as four quarters, in one fixed order: pairs within each quarter, then the
    /// quarters' sums pairwise, then the halves ((a₀+a₁)+(a₂+a₃) per quarter, (Q₀+Q₁)+(Q₂+Q₃)). Written out
    /// element by element, so that no path depends on how the JIT lowers Vector*.Sum; it is the order of
    /// Vector512.Sum on x64 (a test holds it to that), so an AVX-512 machine's bits are what they were.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float SumLanes(Vector128<float> q0, Vector128<float> q1, Vector128<float> q2, Vector128<float> q3) =>
        (Quarter(q0) + Quarter(q1)) + (Quarter(q2) + Quarter(q3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Quarter(Vector128<float> q) =>
        (q.GetElement(0) + q.GetElement(1)) + (q.GetElement(2) + q.GetElement(3));

    /// <summary>The responsibilities of a far point in double precision; returns its log-likelihood.</summary>
    private static double PosteriorFar(MixtureComponents model, ReadOnlySpan<float> x, Span<double> gamma, out int label)
    {
        int k = model.Clusters;
        int d = model.Dimensions;
        double max = double.NegativeInfinity;
        label = 0;
        for (int c = 0; c < k; c++)
        {
            double q = 0;
            for (int j = 0; j < d; j++)
            {
                double t = x[j] - model.MeansDouble[(c * d) + j];
                q += t * t * model.Precisions[(c * d) + j];
            }

            gamma[c] = model.LogConstantsDouble[c] - (0.5 * q);
            if (gamma[c] > max)
            {
                max = gamma[c];
                label = c;
            }
        }

        double sum = 0;
        for (int c = 0; c < k; c++)
        {
            gamma[c] = Math.Exp(gamma[c] - max);
            sum += gamma[c];
        }

        for (int c = 0; c < k; c++)
        {
            gamma[c] /= sum;
        }

        return max + Math.Log(sum);
    }

    /// <summary>Adds a far point straight into the double statistics; returns its log-likelihood.</summary>
    private static double AccumulateFar(MixtureComponents model, ReadOnlySpan<float> x, MixtureStatistics statistics, out int label)
    {
        int k = model.Clusters;
        int d = model.Dimensions;
        Span<double> gamma = k <= 256 ? stackalloc double[k] : new double[k];
        double logLikelihood = PosteriorFar(model, x, gamma, out label);
        Span<double> first = statistics.First;
        Span<double> second = statistics.Second;
        for (int c = 0; c < k; c++)
        {
            double g = gamma[c];
            if (g < Negligible)
            {
                continue;
            }

            statistics.Mass[c] += g;
            for (int j = 0; j < d; j++)
            {
                double t = x[j] - model.MeansDouble[(c * d) + j];
                first[(c * d) + j] += g * t;
                second[(c * d) + j] += g * t * t;
            }
        }

        return logLikelihood;
    }

    /// <summary>
    /// Adds the point's mass and moments to every component whose responsibility γ_c = e_c × inverse is at
    /// least <see cref="Negligible"/>: found a vector at a time by comparing e_c with Negligible / inverse, so
    /// that the components of no account cost one comparison per vector, not a branch each.
    /// </summary>
    private static void AddSignificant(MixtureComponents model, ReadOnlySpan<float> x, Span<float> e, float inverse, Span<double> mass, float[] first, float[] second)
    {
        int kp = model.PaddedClusters;
        ReadOnlySpan<float> means = model.Means;
        float threshold = Negligible / inverse;
        ref float er = ref MemoryMarshal.GetReference(e);
        if (model.Lanes == 16 && Vector512.IsHardwareAccelerated && x.Length % 16 == 0)
        {
            // Whole vectors of coordinates (d = 16, 32, …): the moments of a component in place, no call or slice each.
            int d = x.Length;
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float mr = ref MemoryMarshal.GetReference(means);
            ref float fr = ref MemoryMarshal.GetArrayDataReference(first);
            ref float sr = ref MemoryMarshal.GetArrayDataReference(second);
            ref double wr = ref MemoryMarshal.GetReference(mass);
            var limit = Vector512.Create(threshold);
            for (int start = 0; start < kp; start += 16)
            {
                ulong hits = Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref er, (nuint)start), limit).ExtractMostSignificantBits();
                for (; hits != 0; hits &= hits - 1)
                {
                    int c = start + BitOperations.TrailingZeroCount(hits);
                    float gamma = Unsafe.Add(ref er, c) * inverse;
                    Unsafe.Add(ref wr, c) += gamma;
                    var g = Vector512.Create(gamma);
                    nuint row = (nuint)(c * d);
                    for (int j = 0; j < d; j += 16)
                    {
                        nuint at = row + (nuint)j;
                        Vector512<float> t = Vector512.LoadUnsafe(ref xr, (nuint)j) - Vector512.LoadUnsafe(ref mr, at);
                        Vector512<float> gt = g * t;
                        (Vector512.LoadUnsafe(ref fr, at) + gt).StoreUnsafe(ref fr, at);
                        Vector512.FusedMultiplyAdd(gt, t, Vector512.LoadUnsafe(ref sr, at)).StoreUnsafe(ref sr, at);
                    }
                }
            }
        }
        else if (model.Lanes == 16 && Vector512.IsHardwareAccelerated)
        {
            var limit = Vector512.Create(threshold);
            for (int start = 0; start < kp; start += 16)
            {
                ulong hits = Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref er, (nuint)start), limit).ExtractMostSignificantBits();
                for (; hits != 0; hits &= hits - 1)
                {
                    int c = start + BitOperations.TrailingZeroCount(hits);
                    AddComponent(c, Unsafe.Add(ref er, c) * inverse, x, means, mass, first, second);
                }
            }
        }
        else if (model.Lanes == 8 && Vector256.IsHardwareAccelerated)
        {
            var limit = Vector256.Create(threshold);
            for (int start = 0; start < kp; start += 8)
            {
                uint hits = Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref er, (nuint)start), limit).ExtractMostSignificantBits();
                for (; hits != 0; hits &= hits - 1)
                {
                    int c = start + BitOperations.TrailingZeroCount(hits);
                    AddComponent(c, Unsafe.Add(ref er, c) * inverse, x, means, mass, first, second);
                }
            }
        }
        else
        {
            for (int c = 0; c < model.Clusters; c++)
            {
                if (e[c] >= threshold)
                {
                    AddComponent(c, e[c] * inverse, x, means, mass, first, second);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddComponent(int c, float gamma, ReadOnlySpan<float> x, ReadOnlySpan<float> means, Span<double> mass, float[] first, float[] second)
    {
        int d = x.Length;
        mass[c] += gamma;
        AddMoments(x, means.Slice(c * d, d), gamma, first.AsSpan(c * d, d), second.AsSpan(c * d, d));
    }

    /// <summary>first += γ(x − μ), second += γ(x − μ)², coordinate by coordinate.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddMoments(ReadOnlySpan<float> x, ReadOnlySpan<float> mu, float gamma, Span<float> first, Span<float> second)
    {
        int d = x.Length;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float mr = ref MemoryMarshal.GetReference(mu);
        ref float fr = ref MemoryMarshal.GetReference(first);
        ref float sr = ref MemoryMarshal.GetReference(second);
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var g = Vector512.Create(gamma);
            for (; j <= d - 16; j += 16)
            {
                Vector512<float> t = Vector512.LoadUnsafe(ref xr, (nuint)j) - Vector512.LoadUnsafe(ref mr, (nuint)j);
                Vector512<float> gt = g * t;
                (Vector512.LoadUnsafe(ref fr, (nuint)j) + gt).StoreUnsafe(ref fr, (nuint)j);
                Vector512.FusedMultiplyAdd(gt, t, Vector512.LoadUnsafe(ref sr, (nuint)j)).StoreUnsafe(ref sr, (nuint)j);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            var g = Vector256.Create(gamma);
            for (; j <= d - 8; j += 8)
            {
                Vector256<float> t = Vector256.LoadUnsafe(ref xr, (nuint)j) - Vector256.LoadUnsafe(ref mr, (nuint)j);
                Vector256<float> gt = g * t;
                (Vector256.LoadUnsafe(ref fr, (nuint)j) + gt).StoreUnsafe(ref fr, (nuint)j);
                Vector256.FusedMultiplyAdd(gt, t, Vector256.LoadUnsafe(ref sr, (nuint)j)).StoreUnsafe(ref sr, (nuint)j);
            }
        }

        for (; j < d; j++)
        {
            float t = Unsafe.Add(ref xr, j) - Unsafe.Add(ref mr, j);
            float gt = gamma * t;
            Unsafe.Add(ref fr, j) += gt;
            Unsafe.Add(ref sr, j) = MathF.FusedMultiplyAdd(gt, t, Unsafe.Add(ref sr, j));
        }
    }

    /// <summary>Widens the single-precision moments into the statistics and clears them.</summary>
    private static void Widen(float[] first, float[] second, int length, MixtureStatistics statistics)
    {
        ClusterStatistics.AddWidened(ref first[0], ref MemoryMarshal.GetReference(statistics.First), length);
        ClusterStatistics.AddWidened(ref second[0], ref MemoryMarshal.GetReference(statistics.Second), length);
        Array.Clear(first, 0, length);
        Array.Clear(second, 0, length);
    }

    private static int CheckBlock(MixtureComponents model, ReadOnlySpan<float> points, Span<int> labels, Span<float> logLikelihoods, Span<float> responsibilities)
    {
        int d = model.Dimensions;
        if (points.Length % d != 0)
        {
            throw new ArgumentException($"Points of d = {d} must hold a multiple of {d} values, got {points.Length}.", nameof(points));
        }

        int n = points.Length / d;
        if ((!labels.IsEmpty && labels.Length < n) || (!logLikelihoods.IsEmpty && logLikelihoods.Length < n) || (!responsibilities.IsEmpty && responsibilities.Length < n))
        {
            throw new ArgumentException($"Labels, log-likelihoods and responsibilities need room for {n} points.", nameof(labels));
        }

        return n;
    }
}
