using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StreamingClusters.Benchmarks;

/// <summary>
/// The memory ceiling of a kernel that reads its points once: a plain Vector512 sum over the same
/// buffer (four accumulators, so the additions never wait on each other), no other work. When the
/// points do not fit in the caches, no E-step over them can go faster than this.
/// </summary>
internal static class ReadCeiling
{
    /// <summary>Sums <paramref name="values"/> (the tail that fills no vector is left out; it is a hint of the rate, not a sum).</summary>
    /// <param name="values">The buffer to read.</param>
    /// <returns>A value that depends on every vector read, so the loop cannot be removed.</returns>
    public static float Sum(ReadOnlySpan<float> values)
    {
        const int Step = 4 * 16;
        ref float x = ref MemoryMarshal.GetReference(values);
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
}
