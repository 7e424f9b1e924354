namespace ProcActors.Procfs;

/// <summary>A process identity that survives pid reuse: the pid plus its start time in clock ticks since boot.</summary>
public readonly record struct ProcId(int Pid, ulong StartTicks);

/// <summary>Monotonic per-process counters, in the units /proc reports them (CPU in clock ticks).</summary>
public struct ProcCounts
{
    public ulong CpuUserTicks;
    public ulong CpuSystemTicks;
    public ulong ReadBytes;
    public ulong WriteBytes;
    public ulong MajorPageFaults;
    public ulong MinorPageFaults;
    public ulong VoluntaryCtxSwitches;
    public ulong NonvoluntaryCtxSwitches;
}

public struct ProcMemory
{
    public ulong ResidentBytes;
    public ulong VirtualBytes;
    public ulong SwapBytes;
    public ulong ProportionalBytes;
    public ulong ProportionalSwapBytes;
}

/// <summary>Thread (or process) counts by scheduler state, the buckets process-exporter exports.</summary>
public struct ThreadStates
{
    public int Running;
    public int Sleeping;
    public int Waiting;
    public int Zombie;
    public int Other;

    public void Add(byte state)
    {
        switch (state)
        {
            case (byte)'R': Running++; break;
            case (byte)'S': Sleeping++; break;
            case (byte)'D': Waiting++; break;
            case (byte)'Z': Zombie++; break;
            default: Other++; break;
        }
    }

    public void Add(in ThreadStates other)
    {
        Running += other.Running;
        Sleeping += other.Sleeping;
        Waiting += other.Waiting;
        Zombie += other.Zombie;
        Other += other.Other;
    }

    public readonly int Total => Running + Sleeping + Waiting + Zombie + Other;
}

/// <summary>Secondary parts of a process read that failed: their previous values stand, no delta is taken from them.</summary>
[Flags]
public enum MissingParts
{
    None = 0,
    Io = 1,
    OpenFds = 2,
    FdLimit = 4,
    Smaps = 8,
    Threads = 16,
}

/// <summary>What changes from scan to scan for one process.</summary>
public struct ProcMetrics
{
    public MissingParts Missing;
    public ProcCounts Counts;
    public ProcMemory Memory;
    public ulong OpenFds;
    public ulong FdLimit;
    public uint NumThreads;
    public byte State;
    /// <summary>States of every thread when threads were read, else of the process alone: each thread counted once.</summary>
    public ThreadStates States;
    /// <summary>Kernel function the main thread waits in, interned; null when not read or not waiting.</summary>
    public string? Wchan;
    /// <summary>Per-thread samples when thread reading is on; null otherwise.</summary>
    public ThreadSample[]? Threads;
    public int ThreadCount;
    /// <summary>CPU ticks of the children the process reaped (stat cutime + cstime): the children exit fallback reads them.</summary>
    public ulong ReapedChildrenUserTicks;
    public ulong ReapedChildrenSystemTicks;
}

/// <summary>One thread of a process as read from task/&lt;tid&gt;.</summary>
public struct ThreadSample
{
    public int Tid;
    public string Name;
    public ProcCounts Counts;
    public byte State;
    public string? Wchan;
}

/// <summary>Facts read once per process identity: they cannot change while the process lives (or we do not follow them).</summary>
public sealed record ProcStatic(
    ProcId Id,
    string Name,
    IReadOnlyList<string> Cmdline,
    IReadOnlyList<string> Cgroups,
    int ParentPid,
    DateTimeOffset StartTime,
    uint EffectiveUid,
    string Username,
    string ExePath);

/// <summary>How reading a process went, in the order of severity that matters to a scan.</summary>
public enum ReadStatus
{
    Ok,
    /// <summary>Some files could not be read or parsed; what was read is valid.</summary>
    Partial,
    /// <summary>The process exited while we read it: not an error.</summary>
    Vanished,
    /// <summary>The essential files may not be read by us.</summary>
    PermissionDenied,
    /// <summary>The essential files could not be read or did not parse.</summary>
    Failed,
    /// <summary>A read of this process hung past its deadline and has not returned: not read again until it does.</summary>
    Quarantined,
}

/// <summary>The clock of process CPU times and start times (USER_HZ).</summary>
public static class ClockTicks
{
    public static int PerSecond { get; } = Native.LibC.ClockTicksPerSecond();
}

/// <summary>Machine-wide facts needed to turn ticks into seconds and times.</summary>
public readonly record struct SystemInfo(long BootTimeSeconds, int ClockTicksPerSecond, int PageSize)
{
    public DateTimeOffset StartTimeOf(ulong startTicks) =>
        DateTimeOffset.FromUnixTimeSeconds(BootTimeSeconds).AddTicks((long)(startTicks * (ulong)TimeSpan.TicksPerSecond / (ulong)ClockTicksPerSecond));

    public double Seconds(ulong ticks) => (double)ticks / ClockTicksPerSecond;
}
