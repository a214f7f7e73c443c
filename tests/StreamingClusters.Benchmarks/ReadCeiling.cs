using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StreamingClusters.Benchmarks;

/// <summary>
/// The memory ceiling of a kernel that reads its points once: a plain vector sum over the same buffer
/// at the widest width the machine accelerates (four accumulators, so the additions never wait on each
/// other), no other work. When the points do not fit in the caches, no E-step over them can go faster
/// than this.
/// </summary>
internal static class ReadCeiling
{
    /// <summary>Sums <paramref name="values"/> (the tail that fills no vector is left out; it is a hint of the rate, not a sum).</summary>
    /// <param name="values">The buffer to read.</param>
    /// <returns>A value that depends on every vector read, so the loop cannot be removed.</returns>
    public static float Sum(ReadOnlySpan<float> values)
    {
        ref float x = ref MemoryMarshal.GetReference(values);
        if (Vector512.IsHardwareAccelerated)
        {
            const int Step = 4 * 16;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int i = 0; i + Step <= values.Length; i += Step)
            {
                a0 += Vector512.LoadUnsafe(ref x, (nuint)i);
                a1 += Vector512.LoadUnsafe(ref x, (nuint)i + 16);
                a2 += Vector512.LoadUnsafe(ref x, (nuint)i + 32);
                a3 += Vector512.LoadUnsafe(ref x, (nuint)i + 48);
            }

            return Vector512.Sum((a0 + a1) + (a2 + a3));
        }

        const int Step256 = 4 * 8;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        for (int i = 0; i + Step256 <= values.Length; i += Step256)
        {
            b0 += Vector256.LoadUnsafe(ref x, (nuint)i);
            b1 += Vector256.LoadUnsafe(ref x, (nuint)i + 8);
            b2 += Vector256.LoadUnsafe(ref x, (nuint)i + 16);
            b3 += Vector256.LoadUnsafe(ref x, (nuint)i + 24);
        }

        return Vector256.Sum((b0 + b1) + (b2 + b3));
    }
}
