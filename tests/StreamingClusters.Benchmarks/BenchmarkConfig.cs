using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace StreamingClusters.Benchmarks;

/// <summary>
/// A short job run in process (no separate build per benchmark), so the whole set takes minutes:
/// one launch, 3 warm-up and 7 measured iterations, timed by the thread's CPU clock on Linux (see
/// <see cref="ThreadCpuClock"/>; set SC_BENCH_WALL_CLOCK=1 for wall time). Adds Op/s, GFLOP/s and
/// allocated bytes, with median and minimum times beside the mean.
/// </summary>
public sealed class BenchmarkConfig : ManualConfig
{
    public BenchmarkConfig()
    {
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(7)
            .WithId("Short");
        if (ThreadCpuClock.Instance.IsAvailable && Environment.GetEnvironmentVariable("SC_BENCH_WALL_CLOCK") != "1")
        {
            job = job.WithClock(ThreadCpuClock.Instance);
        }

        AddJob(job);
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.OperationsPerSecond, new GflopsColumn());
    }

    /// <summary>
    /// GFLOP/s of the hard E-step at the median time (robust to the other processes of a shared
    /// machine), 2·d·k flops per point; 32 flops per FMA for the peak loop.
    /// </summary>
    private sealed class GflopsColumn : IColumn
    {
        public string Id => nameof(GflopsColumn);

        public string ColumnName => "GFLOP/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Billions of floating-point operations per second at the median time (2·d·k per point; 32 per Vector512 FMA)";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is null)
            {
                return "-";
            }

            double opsPerSecond = 1e9 / report.ResultStatistics.Median;
            double flopsPerOp = 32;
            if (benchmarkCase.Parameters.Count > 0)
            {
                double d = Convert.ToDouble(benchmarkCase.Parameters["D"], System.Globalization.CultureInfo.InvariantCulture);
                double k = Convert.ToDouble(benchmarkCase.Parameters["K"], System.Globalization.CultureInfo.InvariantCulture);
                flopsPerOp = 2 * d * k;
            }

            return (opsPerSecond * flopsPerOp / 1e9).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
