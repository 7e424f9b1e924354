using System.Runtime.InteropServices;

namespace ProcActors.LoadTests.Runner;

/// <summary>The few libc calls the runner needs: CPU clocks with microsecond resolution and a precise sleep.</summary>
internal static unsafe partial class Native
{
    private const int RUSAGE_SELF = 0;
    private const int CLOCK_MONOTONIC = 1;
    private const int CLOCK_THREAD_CPUTIME_ID = 3;
    private const int PR_SET_TIMERSLACK = 29;

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicros;
        public long SystemSeconds;
        public long SystemMicros;
        public long MaxRssKb;
        public fixed long Rest[13];
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanos;
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRUsage(int who, RUsage* usage);

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, TimeSpec* time);

    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanoSleep(int clock, int flags, TimeSpec* request, TimeSpec* remain);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    /// <summary>CPU time of the whole process (every thread: GC and JIT included), user and system, in microseconds.</summary>
    public static CpuTime ProcessCpu()
    {
        RUsage usage;
        if (GetRUsage(RUSAGE_SELF, &usage) != 0) return default;
        return new CpuTime(usage.UserSeconds * 1_000_000 + usage.UserMicros, usage.SystemSeconds * 1_000_000 + usage.SystemMicros);
    }

    /// <summary>CPU time of the calling thread in microseconds (CLOCK_THREAD_CPUTIME_ID: exact, not sampled).</summary>
    public static long ThreadCpuMicros()
    {
        TimeSpec time;
        if (ClockGetTime(CLOCK_THREAD_CPUTIME_ID, &time) != 0) return 0;
        return time.Seconds * 1_000_000 + time.Nanos / 1000;
    }

    /// <summary>Sleeps the calling thread for a duration given in nanoseconds; tens of microseconds late at worst with a small timer slack.</summary>
    public static void SleepNanos(long nanos)
    {
        if (nanos <= 0) return;
        var request = new TimeSpec { Seconds = nanos / 1_000_000_000, Nanos = nanos % 1_000_000_000 };
        ClockNanoSleep(CLOCK_MONOTONIC, 0, &request, null);
    }

    /// <summary>Lets the kernel wake this thread within the given slack (default 50 µs) of the requested time.</summary>
    public static void SetTimerSlack(long nanos) => Prctl(PR_SET_TIMERSLACK, (nuint)nanos, 0, 0, 0);
}

/// <summary>User and system CPU time in microseconds.</summary>
public readonly record struct CpuTime(long UserMicros, long SystemMicros)
{
    public long TotalMicros => UserMicros + SystemMicros;

    public double TotalSeconds => TotalMicros / 1e6;

    public static CpuTime operator -(CpuTime a, CpuTime b) => new(a.UserMicros - b.UserMicros, a.SystemMicros - b.SystemMicros);
}
