using Akka.Actor;
using Akka.Hosting;
using ProcActors.Actors.Persistence;
using ProcActors.Actors.Pipeline;
using ProcActors.Actors.View;
using ProcActors.Tracking;

namespace ProcActors.Actors;

/// <summary>
/// Owns the Tracker of one group's processes. At the end of each cycle — also one in which the group had no
/// process, which is how its members' exits are seen — it reports the group's totals to the aggregator.
/// </summary>
public sealed class GroupActor : ReceiveActor
{
    private readonly string _group;
    private readonly IActorRef _aggregator;
    private readonly Tracker _tracker;
    private long _cycle = -1;

    public GroupActor(string group, IActorRef aggregator, bool removeEmptyGroups, GroupRestore? restore)
    {
        _group = group;
        _aggregator = aggregator;
        _tracker = new Tracker(removeEmptyGroups);
        restore?.ApplyTo(_tracker);

        Receive<ObserveSamples>(msg =>
        {
            EnterCycle(msg.Cycle);
            foreach (ref readonly var sample in msg.Samples.AsSpan())
            {
                _tracker.Observe(sample);
                ChannelProcSink.ReleaseThreads(sample);
            }
        });
        Receive<ObserveExits>(msg =>
        {
            EnterCycle(msg.Cycle);
            foreach (ref readonly var exit in msg.Exits.AsSpan()) _tracker.ObserveExit(exit);
        });
        Receive<EndCycle>(msg =>
        {
            EnterCycle(msg.Cycle);
            var stats = _tracker.EndCycle();
            var members = _tracker.Procs.Select(Member).ToArray();
            var groupStats = stats.Count > 0 ? stats[0] : null;
            _aggregator.Tell(new GroupReport(msg.Cycle, _group, groupStats, members, _tracker.BackwardsCounters));
            if (groupStats is null) Context.Parent.Tell(new GroupEmptied(_group, msg.Cycle));
        });
    }

    public static Props Props(string group, IActorRef aggregator, bool removeEmptyGroups, GroupRestore? restore = null) =>
        Akka.Actor.Props.Create(() => new GroupActor(group, aggregator, removeEmptyGroups, restore));

    private void EnterCycle(long cycle)
    {
        if (cycle == _cycle) return;
        _cycle = cycle;
        _tracker.BeginCycle();
    }

    private static MemberView Member(TrackedProc proc) =>
        new(proc.Id.Pid, proc.Id.StartTicks, proc.Static?.Name ?? string.Empty, proc.Static?.Cmdline ?? [], proc.Static?.StartTime,
            proc.LastDelta.CpuUserTicks + proc.LastDelta.CpuSystemTicks, proc.Latest.Memory.ResidentBytes,
            proc.LastDelta.ReadBytes + proc.LastDelta.WriteBytes, proc.Latest.Counts);
}
