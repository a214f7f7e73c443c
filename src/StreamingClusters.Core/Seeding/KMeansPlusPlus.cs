using StreamingClusters.Randomness;

namespace StreamingClusters.Seeding;

/// <summary>
/// Greedy k-means++ seeding (Arthur and Vassilvitskii's D² sampling; at each pick several candidates
/// are drawn and the one that lowers the potential most is kept, as scikit-learn does).
/// </summary>
public static class KMeansPlusPlus
{
    /// <summary>Gets the default number of candidates per pick for k clusters: 2 + ⌊ln k⌋.</summary>
    /// <param name="clusters">The number of clusters k.</param>
    /// <returns>The number of candidates.</returns>
    public static int DefaultCandidates(int clusters) => 2 + (int)Math.Log(clusters);

    /// <summary>Picks k seeds among <paramref name="points"/>.</summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="dimensions">The dimension d.</param>
    /// <param name="clusters">The number of seeds k.</param>
    /// <param name="random">The run's random generator.</param>
    /// <param name="candidates">Candidates per pick; 0 for <see cref="DefaultCandidates"/>.</param>
    /// <returns>k × d seed coordinates, row-major, in double precision.</returns>
    /// <exception cref="InsufficientDistinctPointsException">The points hold fewer than k distinct values.</exception>
    public static double[] Seed(ReadOnlySpan<float> points, int dimensions, int clusters, ModelRandom random, int candidates = 0) =>
        Seed(points, dimensions, clusters, random, candidates, parallelism: 1);

    /// <summary>
    /// Picks k seeds among <paramref name="points"/>, weighing each pick's candidates on up to
    /// <paramref name="parallelism"/> threads. The candidates are drawn first, in order, and the best
    /// is the one of least potential, the earliest on a tie: the seeds are the same for any parallelism.
    /// </summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="dimensions">The dimension d.</param>
    /// <param name="clusters">The number of seeds k.</param>
    /// <param name="random">The run's random generator.</param>
    /// <param name="candidates">Candidates per pick; 0 for <see cref="DefaultCandidates"/>.</param>
    /// <param name="parallelism">The most threads to use, from 1.</param>
    /// <returns>k × d seed coordinates, row-major, in double precision.</returns>
    /// <exception cref="InsufficientDistinctPointsException">The points hold fewer than k distinct values.</exception>
    public static double[] Seed(ReadOnlySpan<float> points, int dimensions, int clusters, ModelRandom random, int candidates, int parallelism)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clusters);
        ArgumentOutOfRangeException.ThrowIfNegative(candidates);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parallelism);
        int d = dimensions;
        int n = points.Length / d;
        // Fewer than k points are refused below, when the distinct values run out, so that the
        // exception counts distinct values rather than points.
        if (n == 0)
        {
            throw new InsufficientDistinctPointsException(clusters, 0, 0);
        }

        int tries = candidates == 0 ? DefaultCandidates(clusters) : candidates;
        int workers = Math.Min(parallelism, tries);
        var seeds = new double[clusters * d];
        var columns = Transpose(points, n, d);
        var closest = new double[n];
        var running = new double[n];
        var drawn = new int[tries];
        // The threads cannot share a span: they read the candidates from a copy.
        float[] pointArray = workers > 1 ? points.ToArray() : [];
        var lanes = new Worker[workers];
        for (int w = 0; w < workers; w++)
        {
            lanes[w] = new Worker(n, d);
        }

        int first = random.NextInt32(n);
        Copy(points.Slice(first * d, d), seeds.AsSpan(0, d));
        closest.AsSpan().Fill(double.PositiveInfinity);
        double potential = LowerDistances(columns, n, d, points.Slice(first * d, d), closest, closest, lanes[0].Target);

        for (int c = 1; c < clusters; c++)
        {
            if (potential <= 0)
            {
                // Every point coincides with a seed already chosen: only c distinct values exist.
                throw new InsufficientDistinctPointsException(clusters, n, c);
            }

            RunningSums(closest, running);
            for (int t = 0; t < tries; t++)
            {
                drawn[t] = SampleProportional(closest, running, potential, random);
            }

            // Worker w weighs candidates w, w + workers, …, keeping its best; the best of the bests
            // (least potential, then earliest candidate) is what one thread going in order keeps.
            if (workers == 1)
            {
                lanes[0].Weigh(columns, points, drawn, 0, 1, closest);
            }
            else
            {
                double[] near = closest;
                Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w => lanes[w].Weigh(columns, pointArray, drawn, w, workers, near));
            }

            Worker winner = lanes[0];
            foreach (Worker lane in lanes)
            {
                if (lane.BestPotential < winner.BestPotential || (lane.BestPotential == winner.BestPotential && lane.BestTry < winner.BestTry))
                {
                    winner = lane;
                }
            }

            int bestCandidate = drawn[winner.BestTry];
            Copy(points.Slice(bestCandidate * d, d), seeds.AsSpan(c * d, d));
            (closest, winner.Best) = (winner.Best, closest);
            potential = winner.BestPotential;
        }

        return seeds;
    }

    /// <summary>
    /// Sets <c>lowered[i] = min(closest[i], ‖x_i − y‖²)</c> for every point and returns their sum, added
    /// in point order. Each point's distance is <see cref="SquaredDistance(ReadOnlySpan{float}, ReadOnlySpan{float})"/>'s exact arithmetic (four
    /// running sums, then the same pairing), computed for several points at once from the transposed
    /// copy, so that the vector paths and the scalar path give the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double LowerDistances(
        double[] columns, int n, int d, ReadOnlySpan<float> y, ReadOnlySpan<double> closest, Span<double> lowered, Span<double> target)
    {
        Debug.Assert(closest.Length >= n && lowered.Length >= n && columns.Length == n * d && target.Length == d);
        for (int j = 0; j < d; j++)
        {
            target[j] = y[j];
        }

        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            i = LowerDistances512(columns, n, d, target, closest, lowered);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            i = LowerDistances256(columns, n, d, target, closest, lowered);
        }

        for (; i < n; i++)
        {
            lowered[i] = Math.Min(closest[i], SquaredDistance(columns, n, d, i, target));
        }

        // In point order: the potential decides between candidates and must not depend on the path.
        double sum = 0;
        foreach (double v in lowered[..n])
        {
            sum += v;
        }

        return sum;
    }

    /// <summary><see cref="SquaredDistance(ReadOnlySpan{float}, ReadOnlySpan{float})"/> of point i, read from the transposed copy (the same values, the same bits).</summary>
    private static double SquaredDistance(double[] columns, int n, int d, int i, ReadOnlySpan<double> y)
    {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j <= d - 4; j += 4)
        {
            double d0 = columns[(j * n) + i] - y[j];
            double d1 = columns[((j + 1) * n) + i] - y[j + 1];
            double d2 = columns[((j + 2) * n) + i] - y[j + 2];
            double d3 = columns[((j + 3) * n) + i] - y[j + 3];
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }

        for (; j < d; j++)
        {
            double diff = columns[(j * n) + i] - y[j];
            s0 += diff * diff;
        }

        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>One thread's share of a pick: its buffers and the best candidate it has weighed.</summary>
    private sealed class Worker(int n, int d)
    {
        /// <summary>Candidates weighed side by side (<see cref="LowerDistances4"/>).</summary>
        private const int Group = 4;

        private double[] _trial = new double[n];
        private readonly double[][] _trials = [.. Enumerable.Range(0, Group).Select(_ => new double[n])];
        private readonly double[] _targets = new double[Group * d];

        public double[] Best { get; set; } = new double[n];

        public double[] Target { get; } = new double[d];

        public double BestPotential { get; private set; }

        public int BestTry { get; private set; }

        /// <summary>Weighs candidates <paramref name="from"/>, <paramref name="from"/> + <paramref name="step"/>, … in order, keeping the first of least potential.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Weigh(double[] columns, ReadOnlySpan<float> points, int[] drawn, int from, int step, double[] closest)
        {
            int d = Target.Length;
            int n = _trial.Length;
            BestPotential = double.PositiveInfinity;
            BestTry = int.MaxValue;
            Span<double> sums = stackalloc double[Group];
            int t = from;
            if ((Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated) && n >= 8)
            {
                for (; t + ((Group - 1) * step) < drawn.Length; t += Group * step)
                {
                    for (int g = 0; g < Group; g++)
                    {
                        ReadOnlySpan<float> y = points.Slice(drawn[t + (g * step)] * d, d);
                        for (int j = 0; j < d; j++)
                        {
                            _targets[(g * d) + j] = y[j];
                        }
                    }

                    LowerDistances4(columns, n, d, _targets, closest, _trials, sums);
                    for (int g = 0; g < Group; g++)
                    {
                        if (sums[g] < BestPotential)
                        {
                            BestPotential = sums[g];
                            BestTry = t + (g * step);
                            (Best, _trials[g]) = (_trials[g], Best);
                        }
                    }
                }
            }

            for (; t < drawn.Length; t += step)
            {
                double potential = LowerDistances(columns, n, d, points.Slice(drawn[t] * d, d), closest, _trial, Target);
                if (potential < BestPotential)
                {
                    BestPotential = potential;
                    BestTry = t;
                    (Best, _trial) = (_trial, Best);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="LowerDistances"/> for four candidates at once (Vector512, or Vector256): each group of points
    /// is loaded once for the four, and the four potentials are summed side by side (each in point
    /// order, so one addition does not wait for the last). Each candidate's arithmetic is exactly the
    /// one-candidate path's: the same bits.
    /// </summary>
    /// <param name="columns">The points, transposed (see <see cref="Transpose"/>).</param>
    /// <param name="n">The number of points.</param>
    /// <param name="d">The dimension.</param>
    /// <param name="targets">The four candidates, d values each, widened to double.</param>
    /// <param name="closest">Each point's squared distance to its closest seed so far.</param>
    /// <param name="lowered">Four arrays for the candidates' lowered distances.</param>
    /// <param name="sums">The four potentials.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LowerDistances4(double[] columns, int n, int d, double[] targets, double[] closest, double[][] lowered, Span<double> sums)
    {
        int i = Vector512.IsHardwareAccelerated
            ? LowerDistances4x512(columns, n, d, targets, closest, lowered)
            : LowerDistances4x256(columns, n, d, targets, closest, lowered);
        ref double l0 = ref MemoryMarshal.GetArrayDataReference(lowered[0]);
        ref double l1 = ref MemoryMarshal.GetArrayDataReference(lowered[1]);
        ref double l2 = ref MemoryMarshal.GetArrayDataReference(lowered[2]);
        ref double l3 = ref MemoryMarshal.GetArrayDataReference(lowered[3]);
        for (; i < n; i++)
        {
            Unsafe.Add(ref l0, i) = Math.Min(closest[i], SquaredDistance(columns, n, d, i, targets.AsSpan(0, d)));
            Unsafe.Add(ref l1, i) = Math.Min(closest[i], SquaredDistance(columns, n, d, i, targets.AsSpan(d, d)));
            Unsafe.Add(ref l2, i) = Math.Min(closest[i], SquaredDistance(columns, n, d, i, targets.AsSpan(2 * d, d)));
            Unsafe.Add(ref l3, i) = Math.Min(closest[i], SquaredDistance(columns, n, d, i, targets.AsSpan(3 * d, d)));
        }

        // Each potential in point order, as LowerDistances adds it.
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int p = 0; p < n; p++)
        {
            s0 += Unsafe.Add(ref l0, p);
            s1 += Unsafe.Add(ref l1, p);
            s2 += Unsafe.Add(ref l2, p);
            s3 += Unsafe.Add(ref l3, p);
        }

        sums[0] = s0;
        sums[1] = s1;
        sums[2] = s2;
        sums[3] = s3;
    }

    /// <returns>The number of points done (a multiple of the vector's lanes).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int LowerDistances4x512(double[] columns, int n, int d, double[] targets, double[] closest, double[][] lowered)
    {
        ref double x = ref MemoryMarshal.GetArrayDataReference(columns);
        ref double near = ref MemoryMarshal.GetArrayDataReference(closest);
        ref double l0 = ref MemoryMarshal.GetArrayDataReference(lowered[0]);
        ref double l1 = ref MemoryMarshal.GetArrayDataReference(lowered[1]);
        ref double l2 = ref MemoryMarshal.GetArrayDataReference(lowered[2]);
        ref double l3 = ref MemoryMarshal.GetArrayDataReference(lowered[3]);
        ref double c0 = ref MemoryMarshal.GetArrayDataReference(targets);
        ref double c1 = ref Unsafe.Add(ref c0, d);
        ref double c2 = ref Unsafe.Add(ref c0, 2 * d);
        ref double c3 = ref Unsafe.Add(ref c0, 3 * d);
        int i = 0;
        for (; i <= n - 8; i += 8)
        {
            Vector512<double> a0 = Vector512<double>.Zero, a1 = a0, a2 = a0, a3 = a0;
            Vector512<double> b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            Vector512<double> e0 = a0, e1 = a0, e2 = a0, e3 = a0;
            Vector512<double> f0 = a0, f1 = a0, f2 = a0, f3 = a0;
            int j = 0;
            for (; j <= d - 4; j += 4)
            {
                Vector512<double> x0 = Vector512.LoadUnsafe(ref x, (nuint)((j * n) + i));
                Vector512<double> x1 = Vector512.LoadUnsafe(ref x, (nuint)(((j + 1) * n) + i));
                Vector512<double> x2 = Vector512.LoadUnsafe(ref x, (nuint)(((j + 2) * n) + i));
                Vector512<double> x3 = Vector512.LoadUnsafe(ref x, (nuint)(((j + 3) * n) + i));
                Vector512<double> t;
                t = x0 - Vector512.Create(Unsafe.Add(ref c0, j));
                a0 += t * t;
                t = x1 - Vector512.Create(Unsafe.Add(ref c0, j + 1));
                a1 += t * t;
                t = x2 - Vector512.Create(Unsafe.Add(ref c0, j + 2));
                a2 += t * t;
                t = x3 - Vector512.Create(Unsafe.Add(ref c0, j + 3));
                a3 += t * t;
                t = x0 - Vector512.Create(Unsafe.Add(ref c1, j));
                b0 += t * t;
                t = x1 - Vector512.Create(Unsafe.Add(ref c1, j + 1));
                b1 += t * t;
                t = x2 - Vector512.Create(Unsafe.Add(ref c1, j + 2));
                b2 += t * t;
                t = x3 - Vector512.Create(Unsafe.Add(ref c1, j + 3));
                b3 += t * t;
                t = x0 - Vector512.Create(Unsafe.Add(ref c2, j));
                e0 += t * t;
                t = x1 - Vector512.Create(Unsafe.Add(ref c2, j + 1));
                e1 += t * t;
                t = x2 - Vector512.Create(Unsafe.Add(ref c2, j + 2));
                e2 += t * t;
                t = x3 - Vector512.Create(Unsafe.Add(ref c2, j + 3));
                e3 += t * t;
                t = x0 - Vector512.Create(Unsafe.Add(ref c3, j));
                f0 += t * t;
                t = x1 - Vector512.Create(Unsafe.Add(ref c3, j + 1));
                f1 += t * t;
                t = x2 - Vector512.Create(Unsafe.Add(ref c3, j + 2));
                f2 += t * t;
                t = x3 - Vector512.Create(Unsafe.Add(ref c3, j + 3));
                f3 += t * t;
            }

            for (; j < d; j++)
            {
                Vector512<double> xj = Vector512.LoadUnsafe(ref x, (nuint)((j * n) + i));
                Vector512<double> t;
                t = xj - Vector512.Create(Unsafe.Add(ref c0, j));
                a0 += t * t;
                t = xj - Vector512.Create(Unsafe.Add(ref c1, j));
                b0 += t * t;
                t = xj - Vector512.Create(Unsafe.Add(ref c2, j));
                e0 += t * t;
                t = xj - Vector512.Create(Unsafe.Add(ref c3, j));
                f0 += t * t;
            }

            Vector512<double> m = Vector512.LoadUnsafe(ref near, (nuint)i);
            Vector512.Min(m, (a0 + a1) + (a2 + a3)).StoreUnsafe(ref l0, (nuint)i);
            Vector512.Min(m, (b0 + b1) + (b2 + b3)).StoreUnsafe(ref l1, (nuint)i);
            Vector512.Min(m, (e0 + e1) + (e2 + e3)).StoreUnsafe(ref l2, (nuint)i);
            Vector512.Min(m, (f0 + f1) + (f2 + f3)).StoreUnsafe(ref l3, (nuint)i);
        }

        return i;
    }

    /// <returns>The number of points done (a multiple of the vector's lanes).</returns>
    private static int LowerDistances4x256(double[] columns, int n, int d, double[] targets, double[] closest, double[][] lowered)
    {
        ref double x = ref MemoryMarshal.GetArrayDataReference(columns);
        ref double near = ref MemoryMarshal.GetArrayDataReference(closest);
        ref double l0 = ref MemoryMarshal.GetArrayDataReference(lowered[0]);
        ref double l1 = ref MemoryMarshal.GetArrayDataReference(lowered[1]);
        ref double l2 = ref MemoryMarshal.GetArrayDataReference(lowered[2]);
        ref double l3 = ref MemoryMarshal.GetArrayDataReference(lowered[3]);
        ref double c0 = ref MemoryMarshal.GetArrayDataReference(targets);
        ref double c1 = ref Unsafe.Add(ref c0, d);
        ref double c2 = ref Unsafe.Add(ref c0, 2 * d);
        ref double c3 = ref Unsafe.Add(ref c0, 3 * d);
        int i = 0;
        for (; i <= n - 4; i += 4)
        {
            Vector256<double> a0 = Vector256<double>.Zero, a1 = a0, a2 = a0, a3 = a0;
            Vector256<double> b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            Vector256<double> e0 = a0, e1 = a0, e2 = a0, e3 = a0;
            Vector256<double> f0 = a0, f1 = a0, f2 = a0, f3 = a0;
            int j = 0;
            for (; j <= d - 4; j += 4)
            {
                Vector256<double> x0 = Vector256.LoadUnsafe(ref x, (nuint)((j * n) + i));
                Vector256<double> x1 = Vector256.LoadUnsafe(ref x, (nuint)(((j + 1) * n) + i));
                Vector256<double> x2 = Vector256.LoadUnsafe(ref x, (nuint)(((j + 2) * n) + i));
                Vector256<double> x3 = Vector256.LoadUnsafe(ref x, (nuint)(((j + 3) * n) + i));
                Vector256<double> t;
                t = x0 - Vector256.Create(Unsafe.Add(ref c0, j));
                a0 += t * t;
                t = x1 - Vector256.Create(Unsafe.Add(ref c0, j + 1));
                a1 += t * t;
                t = x2 - Vector256.Create(Unsafe.Add(ref c0, j + 2));
                a2 += t * t;
                t = x3 - Vector256.Create(Unsafe.Add(ref c0, j + 3));
                a3 += t * t;
                t = x0 - Vector256.Create(Unsafe.Add(ref c1, j));
                b0 += t * t;
                t = x1 - Vector256.Create(Unsafe.Add(ref c1, j + 1));
                b1 += t * t;
                t = x2 - Vector256.Create(Unsafe.Add(ref c1, j + 2));
                b2 += t * t;
                t = x3 - Vector256.Create(Unsafe.Add(ref c1, j + 3));
                b3 += t * t;
                t = x0 - Vector256.Create(Unsafe.Add(ref c2, j));
                e0 += t * t;
                t = x1 - Vector256.Create(Unsafe.Add(ref c2, j + 1));
                e1 += t * t;
                t = x2 - Vector256.Create(Unsafe.Add(ref c2, j + 2));
                e2 += t * t;
                t = x3 - Vector256.Create(Unsafe.Add(ref c2, j + 3));
                e3 += t * t;
                t = x0 - Vector256.Create(Unsafe.Add(ref c3, j));
                f0 += t * t;
                t = x1 - Vector256.Create(Unsafe.Add(ref c3, j + 1));
                f1 += t * t;
                t = x2 - Vector256.Create(Unsafe.Add(ref c3, j + 2));
                f2 += t * t;
                t = x3 - Vector256.Create(Unsafe.Add(ref c3, j + 3));
                f3 += t * t;
            }

            for (; j < d; j++)
            {
                Vector256<double> xj = Vector256.LoadUnsafe(ref x, (nuint)((j * n) + i));
                Vector256<double> t;
                t = xj - Vector256.Create(Unsafe.Add(ref c0, j));
                a0 += t * t;
                t = xj - Vector256.Create(Unsafe.Add(ref c1, j));
                b0 += t * t;
                t = xj - Vector256.Create(Unsafe.Add(ref c2, j));
                e0 += t * t;
                t = xj - Vector256.Create(Unsafe.Add(ref c3, j));
                f0 += t * t;
            }

            Vector256<double> m = Vector256.LoadUnsafe(ref near, (nuint)i);
            Vector256.Min(m, (a0 + a1) + (a2 + a3)).StoreUnsafe(ref l0, (nuint)i);
            Vector256.Min(m, (b0 + b1) + (b2 + b3)).StoreUnsafe(ref l1, (nuint)i);
            Vector256.Min(m, (e0 + e1) + (e2 + e3)).StoreUnsafe(ref l2, (nuint)i);
            Vector256.Min(m, (f0 + f1) + (f2 + f3)).StoreUnsafe(ref l3, (nuint)i);
        }

        return i;
    }


    /// <returns>The number of points done (a multiple of 8).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int LowerDistances512(double[] columns, int n, int d, Span<double> target, ReadOnlySpan<double> closest, Span<double> lowered)
    {
        ref double x = ref MemoryMarshal.GetArrayDataReference(columns);
        ref readonly double near = ref MemoryMarshal.GetReference(closest);
        ref double low = ref MemoryMarshal.GetReference(lowered);
        ref double c = ref MemoryMarshal.GetReference(target);
        int i = 0;
        for (; i <= n - 8; i += 8)
        {
            Vector512<double> s0 = Vector512<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
            int j = 0;
            for (; j <= d - 4; j += 4)
            {
                Vector512<double> d0 = Vector512.LoadUnsafe(ref x, (nuint)((j * n) + i)) - Vector512.Create(Unsafe.Add(ref c, j));
                Vector512<double> d1 = Vector512.LoadUnsafe(ref x, (nuint)(((j + 1) * n) + i)) - Vector512.Create(Unsafe.Add(ref c, j + 1));
                Vector512<double> d2 = Vector512.LoadUnsafe(ref x, (nuint)(((j + 2) * n) + i)) - Vector512.Create(Unsafe.Add(ref c, j + 2));
                Vector512<double> d3 = Vector512.LoadUnsafe(ref x, (nuint)(((j + 3) * n) + i)) - Vector512.Create(Unsafe.Add(ref c, j + 3));
                s0 += d0 * d0;
                s1 += d1 * d1;
                s2 += d2 * d2;
                s3 += d3 * d3;
            }

            for (; j < d; j++)
            {
                Vector512<double> diff = Vector512.LoadUnsafe(ref x, (nuint)((j * n) + i)) - Vector512.Create(Unsafe.Add(ref c, j));
                s0 += diff * diff;
            }

            Vector512<double> distance = (s0 + s1) + (s2 + s3);
            Vector512.Min(Vector512.LoadUnsafe(in near, (nuint)i), distance).StoreUnsafe(ref low, (nuint)i);
        }

        return i;
    }

    /// <returns>The number of points done (a multiple of 4).</returns>
    private static int LowerDistances256(double[] columns, int n, int d, Span<double> target, ReadOnlySpan<double> closest, Span<double> lowered)
    {
        ref double x = ref MemoryMarshal.GetArrayDataReference(columns);
        ref readonly double near = ref MemoryMarshal.GetReference(closest);
        ref double low = ref MemoryMarshal.GetReference(lowered);
        ref double c = ref MemoryMarshal.GetReference(target);
        int i = 0;
        for (; i <= n - 4; i += 4)
        {
            Vector256<double> s0 = Vector256<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
            int j = 0;
            for (; j <= d - 4; j += 4)
            {
                Vector256<double> d0 = Vector256.LoadUnsafe(ref x, (nuint)((j * n) + i)) - Vector256.Create(Unsafe.Add(ref c, j));
                Vector256<double> d1 = Vector256.LoadUnsafe(ref x, (nuint)(((j + 1) * n) + i)) - Vector256.Create(Unsafe.Add(ref c, j + 1));
                Vector256<double> d2 = Vector256.LoadUnsafe(ref x, (nuint)(((j + 2) * n) + i)) - Vector256.Create(Unsafe.Add(ref c, j + 2));
                Vector256<double> d3 = Vector256.LoadUnsafe(ref x, (nuint)(((j + 3) * n) + i)) - Vector256.Create(Unsafe.Add(ref c, j + 3));
                s0 += d0 * d0;
                s1 += d1 * d1;
                s2 += d2 * d2;
                s3 += d3 * d3;
            }

            for (; j < d; j++)
            {
                Vector256<double> diff = Vector256.LoadUnsafe(ref x, (nuint)((j * n) + i)) - Vector256.Create(Unsafe.Add(ref c, j));
                s0 += diff * diff;
            }

            Vector256<double> distance = (s0 + s1) + (s2 + s3);
            Vector256.Min(Vector256.LoadUnsafe(in near, (nuint)i), distance).StoreUnsafe(ref low, (nuint)i);
        }

        return i;
    }

    /// <summary>Coordinate j of point i at j × n + i, widened to double (exact), so a vector holds one coordinate of several points.</summary>
    private static double[] Transpose(ReadOnlySpan<float> points, int n, int d)
    {
        var columns = new double[n * d];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++)
            {
                columns[(j * n) + i] = points[(i * d) + j];
            }
        }

        return columns;
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
    private static void RunningSums(ReadOnlySpan<double> weights, Span<double> running)
    {
        double sum = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            // Adding a zero weight leaves the sum's bits as they are, so skipping it changes nothing.
            sum += weights[i];
            running[i] = sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double SquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        Debug.Assert(x.Length == y.Length);
        y = y[..x.Length];

        // Four running sums (coordinates j mod 4) so that the additions overlap instead of each
        // waiting for the last; the order is fixed, so every machine gets the same bits.
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j <= x.Length - 4; j += 4)
        {
            double d0 = (double)x[j] - y[j];
            double d1 = (double)x[j + 1] - y[j + 1];
            double d2 = (double)x[j + 2] - y[j + 2];
            double d3 = (double)x[j + 3] - y[j + 3];
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }

        for (; j < x.Length; j++)
        {
            double diff = (double)x[j] - y[j];
            s0 += diff * diff;
        }

        return (s0 + s1) + (s2 + s3);
    }

    private static void Copy(ReadOnlySpan<float> from, Span<double> to)
    {
        for (int j = 0; j < from.Length; j++)
        {
            to[j] = from[j];
        }
    }
}
