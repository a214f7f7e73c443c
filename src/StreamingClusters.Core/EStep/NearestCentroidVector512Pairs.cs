using System.Runtime.Intrinsics.X86;

namespace StreamingClusters.EStep;

/// <summary>
/// The Vector512 path of <see cref="NearestCentroidKernel"/> for k ≤ 8, where one vector of centroids
/// would leave half its lanes idle: each vector holds two points against eight centroids (lane 2m + g
/// is point g of a pair against centroid m), and sixteen pairs (32 points) are blocked into sixteen
/// accumulators. The rows of each pair are interleaved, 16 coordinates at a time, into a small stack
/// buffer so that one 8-byte broadcast gives both points' coordinate j; the next 16 coordinates are
/// interleaved inside the loop that consumes the current ones, one pair per step, so the shuffles and
/// stores overlap the multiply-adds. Per (point, centroid) the arithmetic is that of
/// <see cref="NearestCentroidScalar"/>.
/// </summary>
internal static class NearestCentroidVector512Pairs
{
    private const int Pairs = 16;
    private const int Span = 16;

    /// <summary>
    /// The largest d whose next block (32 rows, 16 KiB at d = 128) is fetched into L1 rather than L2: a
    /// third of L1, so it does not push out the block in use; measured faster at d = 128 (the benchmark's
    /// 4,096 points, 2 MiB, do not stay in L2), while 100 KiB blocks at d = 784 would overflow L1.
    /// </summary>
    private const int NearDimensions = 128;

    /// <summary>Floats in one interleaved span: Pairs × Span × 2.</summary>
    private const int Slab = Pairs * Span * 2;

    /// <summary>Finds the nearest centroid of each point.</summary>
    /// <param name="set">The model version, laid out in pairs.</param>
    /// <param name="points">count × d values, row-major, none of them wild.</param>
    /// <param name="nearest">Receives each point's cluster index.</param>
    /// <param name="scores">Receives each point's best score.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FindNearest(CentroidSet set, ReadOnlySpan<float> points, Span<int> nearest, Span<float> scores)
    {
        Debug.Assert(set.PairsPoints && Avx512F.IsSupported);
        int d = set.Dimensions;
        int count = points.Length / d;
        if (count < 2 * Pairs)
        {
            FindNearestFew(set, points, nearest, scores);
            return;
        }

        Span<float> buffer = stackalloc float[2 * Slab];
        ref float x = ref MemoryMarshal.GetReference(points);
        ref float panel = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(set.Panels), set.PanelOffset);
        ref float pairs = ref MemoryMarshal.GetReference(buffer);
        var norms = Vector512.Create(set.LaneNorms);
        int last = count - (2 * Pairs);
        for (int i = 0; ; i += 2 * Pairs)
        {
            // The last block ends with the last point and may overlap the block before: the points they
            // share are scored twice, the same, and written twice.
            i = Math.Min(i, last);
            Block(ref x, d, i, count * d, ref panel, ref pairs, norms, nearest, scores);
            if (i == last)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Scores the 32 consecutive points from <paramref name="i"/> on: the hot path, whose rows are found
    /// by pointer steps instead of a table and whose permutation indices stay in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block(ref float x, int d, int i, int end, ref float panel, ref float pairs, Vector512<float> norms, Span<int> nearest, Span<float> scores)
    {
        var low = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var high = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        int spans = d / Span;
        ref float first = ref Unsafe.Add(ref x, i * d);

        // While this block computes, the next block's points (contiguous) are fetched into L2, two
        // cache lines per step; a large d makes the kernel otherwise wait on memory.
        int ahead = (i + (2 * Pairs)) * d;
        bool nearby = d <= NearDimensions;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> a8 = default, a9 = default, a10 = default, a11 = default;
        Vector512<float> a12 = default, a13 = default, a14 = default, a15 = default;
        ref float row = ref panel;
        if (spans > 0)
        {
            ref float from = ref first;
            ref float to = ref pairs;
            for (int p = 0; p < Pairs; p++)
            {
                Interleave16(ref from, ref Unsafe.Add(ref from, d), ref to, low, high);
                from = ref Unsafe.Add(ref from, 2 * d);
                to = ref Unsafe.Add(ref to, 2 * Span);
            }
        }

        for (int s = 0; s < spans; s++)
        {
            ref double pair = ref Unsafe.As<float, double>(ref Unsafe.Add(ref pairs, (s & 1) * Slab));
            ref float next = ref Unsafe.Add(ref pairs, ((s + 1) & 1) * Slab);
            ref float from = ref Unsafe.Add(ref first, (s + 1) * Span);
            bool more = s + 1 < spans;
            for (int j = 0; j < Span; j++)
            {
                var c = Vector512.LoadUnsafe(ref row);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(pair).AsSingle(), c, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, Span)).AsSingle(), c, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 2 * Span)).AsSingle(), c, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 3 * Span)).AsSingle(), c, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 4 * Span)).AsSingle(), c, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 5 * Span)).AsSingle(), c, a5);
                a6 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 6 * Span)).AsSingle(), c, a6);
                a7 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 7 * Span)).AsSingle(), c, a7);
                a8 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 8 * Span)).AsSingle(), c, a8);
                a9 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 9 * Span)).AsSingle(), c, a9);
                a10 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 10 * Span)).AsSingle(), c, a10);
                a11 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 11 * Span)).AsSingle(), c, a11);
                a12 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 12 * Span)).AsSingle(), c, a12);
                a13 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 13 * Span)).AsSingle(), c, a13);
                a14 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 14 * Span)).AsSingle(), c, a14);
                a15 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 15 * Span)).AsSingle(), c, a15);
                pair = ref Unsafe.Add(ref pair, 1);
                row = ref Unsafe.Add(ref row, 16);
                if (nearby)
                {
                    PrefetchToL1(ref x, ahead, end);
                }
                else
                {
                    Prefetch(ref x, ahead, end);
                }

                ahead += 32;

                // Step j prepares pair j's next span (Pairs == Span).
                if (more)
                {
                    Interleave16(ref from, ref Unsafe.Add(ref from, d), ref next, low, high);
                    from = ref Unsafe.Add(ref from, 2 * d);
                    next = ref Unsafe.Add(ref next, 2 * Span);
                }
            }
        }

        int done = spans * Span;
        if (done < d)
        {
            // The last d mod 16 coordinates, without the overlap.
            ref float tail = ref Unsafe.Add(ref pairs, (spans & 1) * Slab);
            for (int p = 0; p < Pairs; p++)
            {
                ref float even = ref Unsafe.Add(ref first, (2 * p * d) + done);
                ref float odd = ref Unsafe.Add(ref even, d);
                for (int j = 0; j < d - done; j++)
                {
                    Unsafe.Add(ref tail, (p * Span * 2) + (2 * j)) = Unsafe.Add(ref even, j);
                    Unsafe.Add(ref tail, (p * Span * 2) + (2 * j) + 1) = Unsafe.Add(ref odd, j);
                }
            }

            ref double pair = ref Unsafe.As<float, double>(ref tail);
            for (int j = done; j < d; j++)
            {
                var c = Vector512.LoadUnsafe(ref row);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(pair).AsSingle(), c, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, Span)).AsSingle(), c, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 2 * Span)).AsSingle(), c, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 3 * Span)).AsSingle(), c, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 4 * Span)).AsSingle(), c, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 5 * Span)).AsSingle(), c, a5);
                a6 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 6 * Span)).AsSingle(), c, a6);
                a7 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 7 * Span)).AsSingle(), c, a7);
                a8 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 8 * Span)).AsSingle(), c, a8);
                a9 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 9 * Span)).AsSingle(), c, a9);
                a10 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 10 * Span)).AsSingle(), c, a10);
                a11 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 11 * Span)).AsSingle(), c, a11);
                a12 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 12 * Span)).AsSingle(), c, a12);
                a13 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 13 * Span)).AsSingle(), c, a13);
                a14 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 14 * Span)).AsSingle(), c, a14);
                a15 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 15 * Span)).AsSingle(), c, a15);
                pair = ref Unsafe.Add(ref pair, 1);
                row = ref Unsafe.Add(ref row, 16);
            }
        }

        int count = i + (2 * Pairs);
        Finish(a0, norms, i, count, nearest, scores);
        Finish(a1, norms, i + 2, count, nearest, scores);
        Finish(a2, norms, i + 4, count, nearest, scores);
        Finish(a3, norms, i + 6, count, nearest, scores);
        Finish(a4, norms, i + 8, count, nearest, scores);
        Finish(a5, norms, i + 10, count, nearest, scores);
        Finish(a6, norms, i + 12, count, nearest, scores);
        Finish(a7, norms, i + 14, count, nearest, scores);
        Finish(a8, norms, i + 16, count, nearest, scores);
        Finish(a9, norms, i + 18, count, nearest, scores);
        Finish(a10, norms, i + 20, count, nearest, scores);
        Finish(a11, norms, i + 22, count, nearest, scores);
        Finish(a12, norms, i + 24, count, nearest, scores);
        Finish(a13, norms, i + 26, count, nearest, scores);
        Finish(a14, norms, i + 28, count, nearest, scores);
        Finish(a15, norms, i + 30, count, nearest, scores);
    }

    /// <summary>Finds the nearest centroid of fewer than 32 points: the rows past the end repeat the last one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FindNearestFew(CentroidSet set, ReadOnlySpan<float> points, Span<int> nearest, Span<float> scores)
    {
        Debug.Assert(set.PairsPoints && Avx512F.IsSupported);
        int d = set.Dimensions;
        int count = points.Length / d;
        int spans = d / Span;
        Span<float> buffer = stackalloc float[2 * Slab];
        Span<int> rows = stackalloc int[2 * Pairs];
        ref float x = ref MemoryMarshal.GetReference(points);
        ref float panel = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(set.Panels), set.PanelOffset);
        var norms = Vector512.Create(set.LaneNorms);
        int end = count * d;
        for (int i = 0; i < count; i += 2 * Pairs)
        {
            // While this block computes, the next block's points (contiguous) are fetched into L2, two
            // cache lines per step; a large d makes the kernel otherwise wait on memory.
            int ahead = Math.Min(i + (2 * Pairs), count) * d;
            // Points past the end repeat the last point; their results are written twice, the same.
            for (int p = 0; p < 2 * Pairs; p++)
            {
                rows[p] = Math.Min(i + p, count - 1) * d;
            }

            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector512<float> a4 = default, a5 = default, a6 = default, a7 = default;
            Vector512<float> a8 = default, a9 = default, a10 = default, a11 = default;
            Vector512<float> a12 = default, a13 = default, a14 = default, a15 = default;
            ref float row = ref panel;
            if (spans > 0)
            {
                for (int p = 0; p < Pairs; p++)
                {
                    Interleave16(ref Unsafe.Add(ref x, rows[2 * p]), ref Unsafe.Add(ref x, rows[(2 * p) + 1]), ref buffer[p * Span * 2]);
                }
            }

            for (int s = 0; s < spans; s++)
            {
                ref double pair = ref Unsafe.As<float, double>(ref buffer[(s & 1) * Slab]);
                ref float next = ref buffer[((s + 1) & 1) * Slab];
                int start = (s + 1) * Span;
                bool more = s + 1 < spans;
                for (int j = 0; j < Span; j++)
                {
                    var c = Vector512.LoadUnsafe(ref row);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(pair).AsSingle(), c, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, Span)).AsSingle(), c, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 2 * Span)).AsSingle(), c, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 3 * Span)).AsSingle(), c, a3);
                    a4 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 4 * Span)).AsSingle(), c, a4);
                    a5 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 5 * Span)).AsSingle(), c, a5);
                    a6 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 6 * Span)).AsSingle(), c, a6);
                    a7 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 7 * Span)).AsSingle(), c, a7);
                    a8 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 8 * Span)).AsSingle(), c, a8);
                    a9 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 9 * Span)).AsSingle(), c, a9);
                    a10 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 10 * Span)).AsSingle(), c, a10);
                    a11 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 11 * Span)).AsSingle(), c, a11);
                    a12 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 12 * Span)).AsSingle(), c, a12);
                    a13 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 13 * Span)).AsSingle(), c, a13);
                    a14 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 14 * Span)).AsSingle(), c, a14);
                    a15 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 15 * Span)).AsSingle(), c, a15);
                    pair = ref Unsafe.Add(ref pair, 1);
                    row = ref Unsafe.Add(ref row, 16);
                    Prefetch(ref x, ahead, end);
                    ahead += 32;

                    // Step j prepares pair j's next span (Pairs == Span).
                    if (more)
                    {
                        Interleave16(
                            ref Unsafe.Add(ref x, rows[2 * j] + start),
                            ref Unsafe.Add(ref x, rows[(2 * j) + 1] + start),
                            ref Unsafe.Add(ref next, j * Span * 2));
                    }
                }
            }

            int done = spans * Span;
            if (done < d)
            {
                // The last d mod 16 coordinates, without the overlap.
                ref float tail = ref buffer[(spans & 1) * Slab];
                for (int p = 0; p < Pairs; p++)
                {
                    for (int j = done; j < d; j++)
                    {
                        Unsafe.Add(ref tail, (p * Span * 2) + (2 * (j - done))) = Unsafe.Add(ref x, rows[2 * p] + j);
                        Unsafe.Add(ref tail, (p * Span * 2) + (2 * (j - done)) + 1) = Unsafe.Add(ref x, rows[(2 * p) + 1] + j);
                    }
                }

                ref double pair = ref Unsafe.As<float, double>(ref tail);
                for (int j = done; j < d; j++)
                {
                    var c = Vector512.LoadUnsafe(ref row);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(pair).AsSingle(), c, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, Span)).AsSingle(), c, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 2 * Span)).AsSingle(), c, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 3 * Span)).AsSingle(), c, a3);
                    a4 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 4 * Span)).AsSingle(), c, a4);
                    a5 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 5 * Span)).AsSingle(), c, a5);
                    a6 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 6 * Span)).AsSingle(), c, a6);
                    a7 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 7 * Span)).AsSingle(), c, a7);
                    a8 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 8 * Span)).AsSingle(), c, a8);
                    a9 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 9 * Span)).AsSingle(), c, a9);
                    a10 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 10 * Span)).AsSingle(), c, a10);
                    a11 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 11 * Span)).AsSingle(), c, a11);
                    a12 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 12 * Span)).AsSingle(), c, a12);
                    a13 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 13 * Span)).AsSingle(), c, a13);
                    a14 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 14 * Span)).AsSingle(), c, a14);
                    a15 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pair, 15 * Span)).AsSingle(), c, a15);
                    pair = ref Unsafe.Add(ref pair, 1);
                    row = ref Unsafe.Add(ref row, 16);
                }
            }

            Finish(a0, norms, i, count, nearest, scores);
            Finish(a1, norms, i + 2, count, nearest, scores);
            Finish(a2, norms, i + 4, count, nearest, scores);
            Finish(a3, norms, i + 6, count, nearest, scores);
            Finish(a4, norms, i + 8, count, nearest, scores);
            Finish(a5, norms, i + 10, count, nearest, scores);
            Finish(a6, norms, i + 12, count, nearest, scores);
            Finish(a7, norms, i + 14, count, nearest, scores);
            Finish(a8, norms, i + 16, count, nearest, scores);
            Finish(a9, norms, i + 18, count, nearest, scores);
            Finish(a10, norms, i + 20, count, nearest, scores);
            Finish(a11, norms, i + 22, count, nearest, scores);
            Finish(a12, norms, i + 24, count, nearest, scores);
            Finish(a13, norms, i + 26, count, nearest, scores);
            Finish(a14, norms, i + 28, count, nearest, scores);
            Finish(a15, norms, i + 30, count, nearest, scores);
        }
    }

    /// <summary>As <see cref="Prefetch"/>, into L1: for blocks small enough to sit there beside the one in use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchToL1(ref float x, int offset, int end)
    {
        if (offset < end)
        {
            byte* line = (byte*)Unsafe.AsPointer(ref x) + ((nint)offset * sizeof(float));
            Sse.Prefetch0(line);
            Sse.Prefetch0(line + 64);
        }
    }

    /// <summary>Asks for the two cache lines at x[offset] to be brought into L2, if they are in the block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(ref float x, int offset, int end)
    {
        // A hint only: a stale address after the GC moved the block costs a useless fetch, nothing more.
        if (offset < end)
        {
            byte* line = (byte*)Unsafe.AsPointer(ref x) + ((nint)offset * sizeof(float));
            Sse.Prefetch1(line);
            Sse.Prefetch1(line + 64);
        }
    }

    /// <summary>Writes first[j], second[j] to pairs[2j], pairs[2j + 1] for j &lt; 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave16(ref float first, ref float second, ref float pairs)
    {
        Interleave16(
            ref first,
            ref second,
            ref pairs,
            Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23),
            Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
    }

    /// <summary>As the overload above, with the permutation indices given (kept in registers by the caller).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave16(ref float first, ref float second, ref float pairs, Vector512<int> low, Vector512<int> high)
    {
        var f = Vector512.LoadUnsafe(ref first);
        var s = Vector512.LoadUnsafe(ref second);
        Avx512F.PermuteVar16x32x2(f, low, s).StoreUnsafe(ref pairs);
        Avx512F.PermuteVar16x32x2(f, high, s).StoreUnsafe(ref pairs, 16);
    }

    /// <summary>Turns a pair's dot products into scores and writes each point's lowest (first on ties).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(Vector512<float> a, Vector512<float> norms, int i, int count, Span<int> nearest, Span<float> scores)
    {
        if (i >= count)
        {
            return;
        }

        var s = Vector512.FusedMultiplyAdd(Vector512.Create(-2f), a, norms);

        // Swaps by 8, 4 and 2 lanes keep a lane's parity: every even lane ends with the first point's
        // least score and every odd lane with the second's.
        var u = Vector512.MinNative(s, Vector512.Shuffle(s, Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)));
        u = Vector512.MinNative(u, Vector512.Shuffle(u, Vector512.Create(4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11)));
        u = Vector512.MinNative(u, Vector512.Shuffle(u, Vector512.Create(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13)));
        uint mask = (uint)Vector512.Equals(s, u).ExtractMostSignificantBits();
        nearest[i] = BitOperations.TrailingZeroCount(mask & 0x5555u) >> 1;
        scores[i] = u.ToScalar();
        if (i + 1 < count)
        {
            nearest[i + 1] = BitOperations.TrailingZeroCount(mask & 0xAAAAu) >> 1;
            scores[i + 1] = u.GetElement(1);
        }
    }
}

