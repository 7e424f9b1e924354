using ProcActors.Tracking;

namespace ProcActors.Actors.View;

/// <summary>
/// One group's member list for the cycle under way: each member is written as its process is observed (while it is
/// in the cache) and the list is reported at the end of the cycle. Should a process written have gone or changed
/// since (an exit record after its sample: <see cref="Tracker.LiveAsObserved"/>), the list is written again from the
/// processes that lived through the cycle. Lists come from the group's pool and go back to it through the store.
/// </summary>
internal sealed class CycleMembers
{
    private readonly MemberListPool _pool = new();
    private MemberList? _filling;

    /// <summary>A new cycle, with room for the processes tracked now and a few newcomers; a list never reported (a cycle that never ended) is filled again.</summary>
    public void Begin(int tracked)
    {
        if (_filling is null) _filling = _pool.Take(tracked);
        else _filling.Restart(tracked);
    }

    /// <summary>What <see cref="Tracker.Observe"/> returned: a process that became live in this cycle, or null.</summary>
    public void Observed(TrackedProc? live)
    {
        if (live is not null) _filling!.Add(Member(live));
    }

    /// <summary>Ends the tracker's cycle: every group's totals, and the members that lived through it.</summary>
    public (IReadOnlyList<GroupStats> Stats, MemberList Members) End(Tracker tracker)
    {
        var members = _filling!;
        _filling = null;
        IReadOnlyList<GroupStats> stats;
        if (tracker.LiveAsObserved)
        {
            stats = tracker.EndCycle();
        }
        else
        {
            members.Restart(tracker.Count);
            var fill = new Fill(members);
            stats = tracker.EndCycle(ref fill);
        }
        members.Complete();
        return (stats, members);
    }

    public static MemberView Member(TrackedProc proc) =>
        new(proc.Id.Pid, proc.Id.StartTicks, proc.Name, proc.Cmdline, proc.StartTime,
            proc.LastDelta.CpuUserTicks + proc.LastDelta.CpuSystemTicks, proc.Latest.Memory.ResidentBytes,
            proc.LastDelta.ReadBytes + proc.LastDelta.WriteBytes, proc.Latest.Counts);

    private readonly struct Fill(MemberList members) : ILiveProcVisitor
    {
        public void Visit(TrackedProc proc) => members.Add(Member(proc));
    }
}
