using System.Runtime.InteropServices;

namespace ProcActors.Procfs;

/// <summary>
/// CPU time (user + system) of the calling thread, exact: clock_gettime(CLOCK_THREAD_CPUTIME_ID) is kept by the
/// scheduler, unlike getrusage(RUSAGE_THREAD), which is only as fresh as the last tick.
/// </summary>
public static unsafe partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, long* timespec);

    /// <summary>The calling thread's CPU time; zero where the clock is unavailable.</summary>
    public static TimeSpan Now()
    {
        var timespec = stackalloc long[2];
        if (ClockGetTime(ClockThreadCpuTimeId, timespec) != 0) return TimeSpan.Zero;
        return TimeSpan.FromTicks(timespec[0] * TimeSpan.TicksPerSecond + timespec[1] / 100);
    }
}
