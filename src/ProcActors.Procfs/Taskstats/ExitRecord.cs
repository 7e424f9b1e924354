namespace ProcActors.Procfs.Taskstats;

/// <summary>
/// What the kernel reports about one task (a thread, or a single-threaded process) as it exits, in the units the
/// kernel uses. CPU is the task's CPU up to the record (TaskstatsParser.EstimateCpuNanos) split into user and system
/// time the way /proc/[pid]/stat splits it, so that it can be compared with a scanned reading. Sent before the task
/// releases its memory and files: CPU the exit itself spends afterwards is in no record.
/// </summary>
public struct ExitRecord
{
    /// <summary>The task's id (a thread id for a thread).</summary>
    public int Pid;
    /// <summary>The process the task belongs to.</summary>
    public int Tgid;
    public int ParentPid;
    public uint Uid;
    /// <summary>The command name (at most 15 bytes, like the comm of /proc/[pid]/stat).</summary>
    public string Comm;
    /// <summary>Start time in whole seconds since 1970, computed by the kernel at exit (ac_btime64).</summary>
    public long BeginTimeSeconds;
    /// <summary>Lifetime of the task in microseconds (ac_etime).</summary>
    public ulong ElapsedMicros;
    /// <summary>Lifetime of the task's process (its thread group leader) in microseconds (ac_tgetime).</summary>
    public ulong ProcessElapsedMicros;
    /// <summary>CLOCK_BOOTTIME when the record was received, in nanoseconds: with the lifetime it bounds the start.</summary>
    public long ReceivedBoottimeNanos;
    public ulong CpuUserNanos;
    public ulong CpuSystemNanos;
    /// <summary>Storage bytes, the read_bytes/write_bytes of /proc/[pid]/io.</summary>
    public ulong ReadBytes;
    public ulong WriteBytes;
    public ulong MinorPageFaults;
    public ulong MajorPageFaults;
    public ulong VoluntaryCtxSwitches;
    public ulong NonvoluntaryCtxSwitches;
    /// <summary>The whole process died with this task: no thread of it is left.</summary>
    public bool GroupDead;
    /// <summary>The struct taskstats version the kernel sent.</summary>
    public ushort Version;
}
