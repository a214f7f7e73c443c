using BenchmarkDotNet.Attributes;
using StreamingClusters.EStep;
using StreamingClusters.Statistics;

namespace StreamingClusters.Benchmarks;

/// <summary>
/// The hard E-step on <see cref="Shape.DefaultPoints"/> random points per invocation: the bare kernel
/// (dispatching to the Vector512 path here; given ‖x‖² as HardEStep gives it, which spares it a pass
/// to check that no coordinate is wild), its scalar twin, and HardEStep.Accumulate (‖x‖², kernel and
/// the statistics). One operation is one point, so Op/s is points per second.
/// </summary>
[Config(typeof(BenchmarkConfig))]
public class EStepBenchmarks
{
    private Shape _shape = null!;
    private ClusterStatistics _statistics = null!;

    [Params(2, 16, 128, 784)]
    public int D { get; set; }

    [Params(8, 64)]
    public int K { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _shape = new Shape(D, K);
        _statistics = new ClusterStatistics(K, D);
    }

    [Benchmark(OperationsPerInvoke = Shape.DefaultPoints)]
    public void Kernel() => NearestCentroidKernel.FindNearest(_shape.Model, _shape.Points, _shape.Nearest, _shape.Scores, _shape.SquaredNorms);

    [Benchmark(OperationsPerInvoke = Shape.DefaultPoints)]
    public void Accumulate() => HardEStep.Accumulate(_shape.Model, _shape.Points, _statistics);

    [Benchmark(OperationsPerInvoke = Shape.DefaultPoints)]
    public void Scalar() => NearestCentroidScalar.FindNearest(_shape.Model, _shape.Points, _shape.Nearest, _shape.Scores);
}
