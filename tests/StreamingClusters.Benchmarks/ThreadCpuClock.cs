using Perfolizer.Horology;

namespace StreamingClusters.Benchmarks;

/// <summary>
/// A BenchmarkDotNet clock that reads the calling thread's CPU time (Linux CLOCK_THREAD_CPUTIME_ID),
/// in nanoseconds. The machine is shared: with wall time, every moment the benchmark thread sits
/// preempted by another process counts as work; with thread CPU time it does not. It does not remove
/// the cache and memory-bandwidth interference of the other processes.
/// </summary>
public sealed class ThreadCpuClock : IClock
{
    public static readonly ThreadCpuClock Instance = new();

    public string Title => "Thread CPU time";

    public bool IsAvailable => OperatingSystem.IsLinux();

    public Frequency Frequency => new(1e9);

    public long GetTimestamp()
    {
        NativeMethods.ClockGetTime(NativeMethods.ClockThreadCpuTime, out var time);
        return (time.Seconds * 1_000_000_000) + time.Nanoseconds;
    }
}
