using ProcActors.Procfs;

namespace ProcActors.Tracking.Exits;

/// <summary>
/// A process's exit as its group's Tracker receives it: its threads' records rolled up, named like the scanner names
/// processes. <see cref="Totals"/> are what the kernel counted for the process over its life (for the threads that
/// exited since exit accounting started), with CPU in nanoseconds rather than ticks.
/// </summary>
public struct ProcExit
{
    public ExitKind Kind;
    public string Group;
    public int Pid;
    /// <summary>The exact identity when the scanner knew the process; otherwise null.</summary>
    public ProcId? Tracked;
    /// <summary>Bounds of the process's start in clock ticks since boot: a scanned process with this pid started in it is this one.</summary>
    public ulong StartTicksLow;
    public ulong StartTicksHigh;
    /// <summary>Cumulative counters; CpuUserTicks and CpuSystemTicks hold nanoseconds here.</summary>
    public ProcCounts Totals;
    /// <summary>Task records rolled into this exit (1 for a single-threaded process).</summary>
    public int Tasks;

    public readonly bool Matches(ProcId id) => id.Pid == Pid && (Tracked is { } tracked ? tracked == id : id.StartTicks >= StartTicksLow && id.StartTicks <= StartTicksHigh);
}

public enum ExitKind
{
    /// <summary>One process's exit record (taskstats).</summary>
    Process,
    /// <summary>The growth of a group's parents' reaped-children CPU (the children fallback): CPU only, no process.</summary>
    ReapedChildren,
    /// <summary>
    /// With taskstats, the CPU of exits that no record holds (the teardown after the record), from the growth of their
    /// reaper's reaped-children CPU beyond their records (<see cref="ExitTeardownSink"/>): CPU only, no process.
    /// </summary>
    Teardown,
}

/// <summary>What exit accounting added to a group: processes that lived and died between two scans, and their CPU.</summary>
public readonly record struct ShortLivedStats(long ExitedUnseen, double UnseenCpuSeconds, long ExitRecords);
