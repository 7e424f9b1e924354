using ProcActors.Procfs;

namespace ProcActors.Tracking;

/// <summary>Counter arithmetic that never goes negative or wraps.</summary>
public static class CountsMath
{
    /// <summary>
    /// now − before per field. A field that went backwards (a thread's share leaving a sum, a counter reset) gives
    /// 0 rather than a wrapped 1.8e19, and is counted in <paramref name="backwards"/>.
    /// </summary>
    public static ProcCounts Delta(in ProcCounts now, in ProcCounts before, ref int backwards)
    {
        ProcCounts d;
        d.CpuUserTicks = Sub(now.CpuUserTicks, before.CpuUserTicks, ref backwards);
        d.CpuSystemTicks = Sub(now.CpuSystemTicks, before.CpuSystemTicks, ref backwards);
        d.ReadBytes = Sub(now.ReadBytes, before.ReadBytes, ref backwards);
        d.WriteBytes = Sub(now.WriteBytes, before.WriteBytes, ref backwards);
        d.MajorPageFaults = Sub(now.MajorPageFaults, before.MajorPageFaults, ref backwards);
        d.MinorPageFaults = Sub(now.MinorPageFaults, before.MinorPageFaults, ref backwards);
        d.VoluntaryCtxSwitches = Sub(now.VoluntaryCtxSwitches, before.VoluntaryCtxSwitches, ref backwards);
        d.NonvoluntaryCtxSwitches = Sub(now.NonvoluntaryCtxSwitches, before.NonvoluntaryCtxSwitches, ref backwards);
        return d;
    }

    public static void Add(ref ProcCounts total, in ProcCounts delta)
    {
        total.CpuUserTicks += delta.CpuUserTicks;
        total.CpuSystemTicks += delta.CpuSystemTicks;
        total.ReadBytes += delta.ReadBytes;
        total.WriteBytes += delta.WriteBytes;
        total.MajorPageFaults += delta.MajorPageFaults;
        total.MinorPageFaults += delta.MinorPageFaults;
        total.VoluntaryCtxSwitches += delta.VoluntaryCtxSwitches;
        total.NonvoluntaryCtxSwitches += delta.NonvoluntaryCtxSwitches;
    }

    private static ulong Sub(ulong now, ulong before, ref int backwards)
    {
        if (now >= before) return now - before;
        backwards++;
        return 0;
    }
}
