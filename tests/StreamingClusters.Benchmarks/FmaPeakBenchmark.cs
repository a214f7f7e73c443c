using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace StreamingClusters.Benchmarks;

/// <summary>
/// The machine's single-core FMA peak: a plain Vector512 loop with 16 independent accumulators
/// (more than latency × throughput = 4 × 2), no loads. E-step efficiency = E-step flops / this.
/// </summary>
[Config(typeof(BenchmarkConfig))]
public class FmaPeakBenchmark
{
    /// <summary>Iterations of the inner loop per invocation.</summary>
    public const int Iterations = 1 << 16;

    /// <summary>Flops per invocation: iterations × 16 FMAs × 16 lanes × 2.</summary>
    public const double FlopsPerInvoke = Iterations * 16.0 * 16 * 2;

    private readonly float _seed = 1e-3f;

    /// <summary>Runs the loop; one operation is one Vector512 FMA (16 lanes × 2 = 32 flops).</summary>
    /// <returns>A value that depends on every accumulator, so nothing is eliminated.</returns>
    [Benchmark(OperationsPerInvoke = Iterations * 16)]
    public float Fma()
    {
        var m = Vector512.Create(0.999f);
        var a = Vector512.Create(_seed);
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
}
