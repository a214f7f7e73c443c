using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StreamingClusters.Ingest;

/// <summary>The checks every point passes before it enters the pipeline, whatever its source.</summary>
internal static class PointValidator
{
    /// <summary>Returns why <paramref name="values"/> cannot be a point, or <see langword="null"/> when it can.</summary>
    /// <param name="values">The parsed values.</param>
    /// <param name="dimensions">The dimension d in force.</param>
    /// <param name="maxAbsoluteValue">The largest absolute value accepted.</param>
    /// <returns>A reason in words, or null.</returns>
    public static string? Check(ReadOnlySpan<float> values, int dimensions, float maxAbsoluteValue)
    {
        if (values.Length != dimensions)
        {
            return string.Create(CultureInfo.InvariantCulture, $"expected {dimensions} values, got {values.Length}");
        }

        for (int j = 0; j < values.Length; j++)
        {
            float v = values[j];
            if (!(MathF.Abs(v) <= maxAbsoluteValue))
            {
                return Describe(j, v, maxAbsoluteValue);
            }
        }

        return null;
    }

    /// <summary>
    /// Whether every value is finite and at most <paramref name="maxAbsoluteValue"/> in magnitude: the
    /// whole of a block of points checked at once, vector by vector; NaN fails the comparison.
    /// </summary>
    /// <param name="values">Any number of values.</param>
    /// <param name="maxAbsoluteValue">The largest absolute value accepted.</param>
    /// <returns>true when <see cref="Check"/> would accept every point of them.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool AllWithin(ReadOnlySpan<float> values, float maxAbsoluteValue)
    {
        // The comparisons are combined and tested once per four vectors: a block is almost always good,
        // so the work per value is one compare and one AND, and the branch is rare.
        ref float start = ref MemoryMarshal.GetReference(values);
        int length = values.Length;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var max = Vector512.Create(maxAbsoluteValue);
            for (; i <= length - (4 * Vector512<float>.Count); i += 4 * Vector512<float>.Count)
            {
                Vector512<float> within =
                    Vector512.LessThanOrEqual(Vector512.Abs(Vector512.LoadUnsafe(ref start, (nuint)i)), max)
                    & Vector512.LessThanOrEqual(Vector512.Abs(Vector512.LoadUnsafe(ref start, (nuint)(i + 16))), max)
                    & Vector512.LessThanOrEqual(Vector512.Abs(Vector512.LoadUnsafe(ref start, (nuint)(i + 32))), max)
                    & Vector512.LessThanOrEqual(Vector512.Abs(Vector512.LoadUnsafe(ref start, (nuint)(i + 48))), max);
                if (!Vector512.EqualsAll(within.AsUInt32(), Vector512<uint>.AllBitsSet))
                {
                    return false;
                }
            }

            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                if (!Vector512.LessThanOrEqualAll(Vector512.Abs(Vector512.LoadUnsafe(ref start, (nuint)i)), max))
                {
                    return false;
                }
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var max = Vector256.Create(maxAbsoluteValue);
            for (; i <= length - (4 * Vector256<float>.Count); i += 4 * Vector256<float>.Count)
            {
                Vector256<float> within =
                    Vector256.LessThanOrEqual(Vector256.Abs(Vector256.LoadUnsafe(ref start, (nuint)i)), max)
                    & Vector256.LessThanOrEqual(Vector256.Abs(Vector256.LoadUnsafe(ref start, (nuint)(i + 8))), max)
                    & Vector256.LessThanOrEqual(Vector256.Abs(Vector256.LoadUnsafe(ref start, (nuint)(i + 16))), max)
                    & Vector256.LessThanOrEqual(Vector256.Abs(Vector256.LoadUnsafe(ref start, (nuint)(i + 24))), max);
                if (!Vector256.EqualsAll(within.AsUInt32(), Vector256<uint>.AllBitsSet))
                {
                    return false;
                }
            }

            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                if (!Vector256.LessThanOrEqualAll(Vector256.Abs(Vector256.LoadUnsafe(ref start, (nuint)i)), max))
                {
                    return false;
                }
            }
        }

        for (; i < length; i++)
        {
            if (!(MathF.Abs(Unsafe.Add(ref start, i)) <= maxAbsoluteValue))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Copies <paramref name="values"/> into <paramref name="destination"/> while checking them as
    /// <see cref="AllWithin"/> does: one pass over the values instead of a check and then a copy.
    /// </summary>
    /// <param name="values">Any number of values.</param>
    /// <param name="destination">At least as many slots. When the check fails, some of them may have been written.</param>
    /// <param name="maxAbsoluteValue">The largest absolute value accepted.</param>
    /// <returns>true when every value is finite and within range (and all were copied); false otherwise.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool CopyIfAllWithin(ReadOnlySpan<float> values, Span<float> destination, float maxAbsoluteValue)
    {
        if (destination.Length < values.Length)
        {
            throw new ArgumentException($"Room for {values.Length} values is needed, got {destination.Length}.", nameof(destination));
        }

        ref float from = ref MemoryMarshal.GetReference(values);
        ref float to = ref MemoryMarshal.GetReference(destination);
        int length = values.Length;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var max = Vector512.Create(maxAbsoluteValue);
            for (; i <= length - (4 * Vector512<float>.Count); i += 4 * Vector512<float>.Count)
            {
                Vector512<float> a = Vector512.LoadUnsafe(ref from, (nuint)i);
                Vector512<float> b = Vector512.LoadUnsafe(ref from, (nuint)(i + 16));
                Vector512<float> c = Vector512.LoadUnsafe(ref from, (nuint)(i + 32));
                Vector512<float> e = Vector512.LoadUnsafe(ref from, (nuint)(i + 48));
                a.StoreUnsafe(ref to, (nuint)i);
                b.StoreUnsafe(ref to, (nuint)(i + 16));
                c.StoreUnsafe(ref to, (nuint)(i + 32));
                e.StoreUnsafe(ref to, (nuint)(i + 48));
                Vector512<float> within =
                    Vector512.LessThanOrEqual(Vector512.Abs(a), max)
                    & Vector512.LessThanOrEqual(Vector512.Abs(b), max)
                    & Vector512.LessThanOrEqual(Vector512.Abs(c), max)
                    & Vector512.LessThanOrEqual(Vector512.Abs(e), max);
                if (!Vector512.EqualsAll(within.AsUInt32(), Vector512<uint>.AllBitsSet))
                {
                    return false;
                }
            }

            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                Vector512<float> a = Vector512.LoadUnsafe(ref from, (nuint)i);
                a.StoreUnsafe(ref to, (nuint)i);
                if (!Vector512.LessThanOrEqualAll(Vector512.Abs(a), max))
                {
                    return false;
                }
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var max = Vector256.Create(maxAbsoluteValue);
            for (; i <= length - (4 * Vector256<float>.Count); i += 4 * Vector256<float>.Count)
            {
                Vector256<float> a = Vector256.LoadUnsafe(ref from, (nuint)i);
                Vector256<float> b = Vector256.LoadUnsafe(ref from, (nuint)(i + 8));
                Vector256<float> c = Vector256.LoadUnsafe(ref from, (nuint)(i + 16));
                Vector256<float> e = Vector256.LoadUnsafe(ref from, (nuint)(i + 24));
                a.StoreUnsafe(ref to, (nuint)i);
                b.StoreUnsafe(ref to, (nuint)(i + 8));
                c.StoreUnsafe(ref to, (nuint)(i + 16));
                e.StoreUnsafe(ref to, (nuint)(i + 24));
                Vector256<float> within =
                    Vector256.LessThanOrEqual(Vector256.Abs(a), max)
                    & Vector256.LessThanOrEqual(Vector256.Abs(b), max)
                    & Vector256.LessThanOrEqual(Vector256.Abs(c), max)
                    & Vector256.LessThanOrEqual(Vector256.Abs(e), max);
                if (!Vector256.EqualsAll(within.AsUInt32(), Vector256<uint>.AllBitsSet))
                {
                    return false;
                }
            }

            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float> a = Vector256.LoadUnsafe(ref from, (nuint)i);
                a.StoreUnsafe(ref to, (nuint)i);
                if (!Vector256.LessThanOrEqualAll(Vector256.Abs(a), max))
                {
                    return false;
                }
            }
        }

        for (; i < length; i++)
        {
            float v = Unsafe.Add(ref from, i);
            Unsafe.Add(ref to, i) = v;
            if (!(MathF.Abs(v) <= maxAbsoluteValue))
            {
                return false;
            }
        }

        return true;
    }

    private static string Describe(int index, float value, float max) =>
        float.IsNaN(value) ? string.Create(CultureInfo.InvariantCulture, $"value {index} (zero-based) is NaN")
        : float.IsInfinity(value) ? string.Create(CultureInfo.InvariantCulture, $"value {index} (zero-based) is infinite")
        : string.Create(CultureInfo.InvariantCulture, $"value {index} (zero-based) ({value:G9}) exceeds the largest accepted magnitude {max:G9}");
}
