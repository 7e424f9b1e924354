using ProcActors.Procfs;
using ProcActors.Procfs.Taskstats;
using ProcActors.Testing;

namespace ProcActors.Tracking.Tests.Exits;

/// <summary>Synthetic taskstats records, timed against a fake /proc's clock.</summary>
internal static class ExitRecords
{
    private static readonly int Hz = ClockTicks.PerSecond;
    private static readonly ulong NanosPerTick = 1_000_000_000ul / (ulong)Hz;

    /// <summary>A record as the kernel sends it for a task that started at <paramref name="startTicks"/> and was received now.</summary>
    public static ExitRecord Make(FakeProcSource source, int pid, string comm, ulong startTicks, ulong cpuTicks = 0, ulong cpuNanos = 0, int tgid = 0, int parent = 1,
        bool groupDead = true, ulong bytes = 0, ulong? processStartTicks = null, ulong systemTicks = 0)
    {
        var received = (long)source.UptimeTicks * (long)NanosPerTick;
        var processStart = processStartTicks ?? startTicks;
        return new ExitRecord
        {
            Pid = pid,
            Tgid = tgid == 0 ? pid : tgid,
            ParentPid = parent,
            Comm = comm,
            BeginTimeSeconds = source.BootTimeSeconds!.Value + (long)startTicks / Hz,
            ElapsedMicros = (source.UptimeTicks - startTicks) * NanosPerTick / 1000,
            ProcessElapsedMicros = (source.UptimeTicks - processStart) * NanosPerTick / 1000,
            ReceivedBoottimeNanos = received,
            CpuUserNanos = cpuTicks * NanosPerTick + cpuNanos,
            CpuSystemNanos = systemTicks * NanosPerTick,
            ReadBytes = bytes,
            WriteBytes = bytes,
            GroupDead = groupDead,
            Version = 16,
        };
    }
}
