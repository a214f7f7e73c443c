using System.Runtime.InteropServices;

namespace StreamingClusters.Benchmarks;

/// <summary>The thread CPU clock of Linux, for timing on a shared machine.</summary>
public static partial class NativeMethods
{
    public const int ClockThreadCpuTime = 3;

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    public static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
