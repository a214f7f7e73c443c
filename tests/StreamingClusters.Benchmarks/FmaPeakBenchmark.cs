using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using StreamingClusters.EStep;

namespace StreamingClusters.Benchmarks;

/// <summary>
/// The machine's single-core FMA peak at each vector width: plain FMA loops with independent
/// accumulators and no memory traffic. <see cref="Fma"/> runs at the widest width the machine
/// accelerates (Vector512, else Vector256, else Vector128), which is the peak every efficiency is
/// given against; <see cref="FmaAt"/> runs at a given width, such as the one the kernels took.
/// A width the machine does not accelerate runs in software and says nothing about the machine.
/// </summary>
/// <remarks>
/// Vector512 keeps 16 accumulators (AVX-512 has 32 registers; more than latency × throughput = 4 × 2).
/// Vector256 and Vector128 keep 12: without AVX-512 there are only 16 vector registers, and 16
/// accumulators plus the two constants would spill to the stack and measure the spills.
/// </remarks>
[Config(typeof(BenchmarkConfig))]
public class FmaPeakBenchmark
{
    /// <summary>Iterations of the inner loop per invocation.</summary>
    public const int Iterations = 1 << 16;

    private const int WideAccumulators = 16;
    private const int NarrowAccumulators = 12;

    private readonly float _seed = 1e-3f;

    /// <summary>Gets the widest vector width (floats) the machine accelerates: 16, 8 or 4.</summary>
    public static int WidestLanes =>
        Vector512.IsHardwareAccelerated ? Vector512<float>.Count
        : Vector256.IsHardwareAccelerated ? Vector256<float>.Count
        : Vector128<float>.Count;

    /// <summary>Gets the vector width (floats) the E-step kernel takes on this machine for k centroids: 16, 8, or 1 (scalar).</summary>
    /// <param name="clusters">The number of clusters k.</param>
    /// <returns>The kernel's lanes; 1 when it runs the scalar twin.</returns>
    public static int KernelLanes(int clusters) => NearestCentroidKernel.LanesFor(clusters);

    /// <summary>Gets the flops of one invocation of the loop at the widest width (<see cref="Fma"/>).</summary>
    public static double FlopsPerInvoke => FlopsPerInvokeAt(WidestLanes);

    /// <summary>Gets the flops of one invocation of the loop at <paramref name="lanes"/> floats per vector.</summary>
    /// <param name="lanes">16, 8 or 4.</param>
    /// <returns>Iterations × accumulators × lanes × 2.</returns>
    public static double FlopsPerInvokeAt(int lanes) =>
        (double)Iterations * (lanes == 16 ? WideAccumulators : NarrowAccumulators) * lanes * 2;

    /// <summary>Runs the loop at the widest accelerated width; one operation is one FMA instruction.</summary>
    /// <returns>A value that depends on every accumulator, so nothing is eliminated.</returns>
    [Benchmark(OperationsPerInvoke = Iterations * WideAccumulators)]
    public float Fma() => FmaAt(WidestLanes);

    /// <summary>Runs the Vector256 loop (12 accumulators); one operation is one 8-lane FMA (16 flops).</summary>
    /// <returns>A value that depends on every accumulator.</returns>
    [Benchmark(OperationsPerInvoke = Iterations * NarrowAccumulators)]
    public float Fma256() => Fma256Loop(_seed);

    /// <summary>Runs the loop at <paramref name="lanes"/> floats per vector.</summary>
    /// <param name="lanes">16 (Vector512), 8 (Vector256) or 4 (Vector128).</param>
    /// <returns>A value that depends on every accumulator.</returns>
    public float FmaAt(int lanes) => lanes switch
    {
        16 => Fma512Loop(_seed),
        8 => Fma256Loop(_seed),
        _ => Fma128Loop(_seed),
    };

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Fma512Loop(float seed)
    {
        var m = Vector512.Create(0.999f);
        var a = Vector512.Create(seed);
        Vector512<float> a0 = a, a1 = a + a, a2 = a1 + a, a3 = a2 + a, a4 = a3 + a, a5 = a4 + a, a6 = a5 + a, a7 = a6 + a;
        Vector512<float> a8 = a7 + a, a9 = a8 + a, a10 = a9 + a, a11 = a10 + a, a12 = a11 + a, a13 = a12 + a, a14 = a13 + a, a15 = a14 + a;
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, a);
            a1 = Vector512.FusedMultiplyAdd(a1, m, a);
            a2 = Vector512.FusedMultiplyAdd(a2, m, a);
            a3 = Vector512.FusedMultiplyAdd(a3, m, a);
            a4 = Vector512.FusedMultiplyAdd(a4, m, a);
            a5 = Vector512.FusedMultiplyAdd(a5, m, a);
            a6 = Vector512.FusedMultiplyAdd(a6, m, a);
            a7 = Vector512.FusedMultiplyAdd(a7, m, a);
            a8 = Vector512.FusedMultiplyAdd(a8, m, a);
            a9 = Vector512.FusedMultiplyAdd(a9, m, a);
            a10 = Vector512.FusedMultiplyAdd(a10, m, a);
            a11 = Vector512.FusedMultiplyAdd(a11, m, a);
            a12 = Vector512.FusedMultiplyAdd(a12, m, a);
            a13 = Vector512.FusedMultiplyAdd(a13, m, a);
            a14 = Vector512.FusedMultiplyAdd(a14, m, a);
            a15 = Vector512.FusedMultiplyAdd(a15, m, a);
        }

        var sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)) + ((a12 + a13) + (a14 + a15));
        return Vector512.Sum(sum);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Fma256Loop(float seed)
    {
        var m = Vector256.Create(0.999f);
        var a = Vector256.Create(seed);
        Vector256<float> a0 = a, a1 = a + a, a2 = a1 + a, a3 = a2 + a, a4 = a3 + a, a5 = a4 + a;
        Vector256<float> a6 = a5 + a, a7 = a6 + a, a8 = a7 + a, a9 = a8 + a, a10 = a9 + a, a11 = a10 + a;
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, a);
            a1 = Vector256.FusedMultiplyAdd(a1, m, a);
            a2 = Vector256.FusedMultiplyAdd(a2, m, a);
            a3 = Vector256.FusedMultiplyAdd(a3, m, a);
            a4 = Vector256.FusedMultiplyAdd(a4, m, a);
            a5 = Vector256.FusedMultiplyAdd(a5, m, a);
            a6 = Vector256.FusedMultiplyAdd(a6, m, a);
            a7 = Vector256.FusedMultiplyAdd(a7, m, a);
            a8 = Vector256.FusedMultiplyAdd(a8, m, a);
            a9 = Vector256.FusedMultiplyAdd(a9, m, a);
            a10 = Vector256.FusedMultiplyAdd(a10, m, a);
            a11 = Vector256.FusedMultiplyAdd(a11, m, a);
        }

        var sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11));
        return Vector256.Sum(sum);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Fma128Loop(float seed)
    {
        var m = Vector128.Create(0.999f);
        var a = Vector128.Create(seed);
        Vector128<float> a0 = a, a1 = a + a, a2 = a1 + a, a3 = a2 + a, a4 = a3 + a, a5 = a4 + a;
        Vector128<float> a6 = a5 + a, a7 = a6 + a, a8 = a7 + a, a9 = a8 + a, a10 = a9 + a, a11 = a10 + a;
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Vector128.FusedMultiplyAdd(a0, m, a);
            a1 = Vector128.FusedMultiplyAdd(a1, m, a);
            a2 = Vector128.FusedMultiplyAdd(a2, m, a);
            a3 = Vector128.FusedMultiplyAdd(a3, m, a);
            a4 = Vector128.FusedMultiplyAdd(a4, m, a);
            a5 = Vector128.FusedMultiplyAdd(a5, m, a);
            a6 = Vector128.FusedMultiplyAdd(a6, m, a);
            a7 = Vector128.FusedMultiplyAdd(a7, m, a);
            a8 = Vector128.FusedMultiplyAdd(a8, m, a);
            a9 = Vector128.FusedMultiplyAdd(a9, m, a);
            a10 = Vector128.FusedMultiplyAdd(a10, m, a);
            a11 = Vector128.FusedMultiplyAdd(a11, m, a);
        }

        var sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11));
        return Vector128.Sum(sum);
    }
}
