using Akka.Actor;
using Akka.Hosting;
using ProcActors.Actors.Persistence;
using ProcActors.Actors.Pipeline;
using ProcActors.Actors.View;
using ProcActors.Tracking;

namespace ProcActors.Actors;

/// <summary>
/// Owns the Tracker of one group's processes. At the end of each cycle — also one in which the group had no
/// process, which is how its members' exits are seen — it reports the group's totals to the aggregator. Restarted
/// after a failure, it continues from the group as the last published view holds it: no total is lost.
/// </summary>
public sealed class GroupActor : ReceiveActor
{
    private readonly string _group;
    private readonly IActorRef _aggregator;
    private Tracker _tracker;
    private long _cycle = -1;
    private long _reportedBackwards;
    private readonly NodeViewStore? _recoverFrom;
    private readonly MemberListPool _members = new();
    /// <summary>This cycle's members, written as each process is observed (in the cache); reported at its end.</summary>
    private MemberList? _filling;

    public GroupActor(string group, IActorRef aggregator, bool removeEmptyGroups, GroupRestore? restore, NodeViewStore? recoverFrom)
    {
        _group = group;
        _aggregator = aggregator;
        _recoverFrom = recoverFrom;
        _tracker = new Tracker(removeEmptyGroups);
        restore?.ApplyTo(_tracker);

        Receive<ObserveSamples>(msg =>
        {
            EnterCycle(msg.Cycle);
            var share = msg.Share;
            var members = _filling!;
            foreach (ref readonly var sample in share.Samples.AsSpan(0, share.Count))
            {
                if (_tracker.Observe(sample) is { } live) members.Add(Member(live));
                ChannelProcSink.ReleaseThreads(sample);
            }
            share.Buffers.Return(share.Samples, share.Count);
        });
        Receive<MergeRestore>(msg => msg.Restore.MergeLateInto(_tracker, msg.SavedScanUptimeTicks));
        Receive<ObserveExits>(msg =>
        {
            EnterCycle(msg.Cycle);
            foreach (ref readonly var exit in msg.Exits.AsSpan(0, msg.Count)) _tracker.ObserveExit(exit);
            ChannelProcSink.ReturnExits(msg.Exits);
        });
        Receive<EndCycle>(msg =>
        {
            EnterCycle(msg.Cycle);
            var members = _filling!;
            _filling = null;
            IReadOnlyList<GroupStats> stats;
            if (_tracker.LiveAsObserved)
            {
                stats = _tracker.EndCycle();
            }
            else
            {
                // A member written as it was observed has gone or changed since (an exit record after its sample):
                // written again from the processes that lived through the cycle.
                members.Restart(_tracker.Count);
                var fill = new MemberFill(members);
                stats = _tracker.EndCycle(ref fill);
            }
            members.Complete();
            var groupStats = stats.Count > 0 ? stats[0] : null;
            var backwards = _tracker.BackwardsCounters - _reportedBackwards;
            _reportedBackwards = _tracker.BackwardsCounters;
            _aggregator.Tell(new GroupReport(msg.Cycle, _group, groupStats, members, backwards));
            if (groupStats is null) Context.Parent.Tell(new GroupEmptied(_group, msg.Cycle));
        });
    }

    public static Props Props(string group, IActorRef aggregator, bool removeEmptyGroups, GroupRestore? restore = null, NodeViewStore? recoverFrom = null) =>
        Akka.Actor.Props.Create(() => new GroupActor(group, aggregator, removeEmptyGroups, restore, recoverFrom));

    /// <summary>The constructor ran again with the restore it was created with: replace that by the group as published last.</summary>
    protected override void PostRestart(Exception reason)
    {
        if (_recoverFrom?.ReadConsistent(view => GroupRestore.FromView(view, _group)) is { } current)
        {
            var tracker = new Tracker(_tracker.RemovesEmptyGroups);
            current.ApplyTo(tracker);
            _tracker = tracker;
        }
        base.PostRestart(reason);
    }

    private void EnterCycle(long cycle)
    {
        if (cycle == _cycle) return;
        _cycle = cycle;
        _tracker.BeginCycle();
        // Room for every process tracked now and a few newcomers; a list not reported (a cycle that never ended) is
        // filled again.
        if (_filling is null) _filling = _members.Take(_tracker.Count);
        else _filling.Restart(_tracker.Count);
    }

    /// <summary>Writes each live process's member view into the list being filled.</summary>
    private readonly struct MemberFill(MemberList members) : ILiveProcVisitor
    {
        public void Visit(TrackedProc proc) => members.Add(Member(proc));
    }

    private static MemberView Member(TrackedProc proc) =>
        new(proc.Id.Pid, proc.Id.StartTicks, proc.Name, proc.Cmdline, proc.StartTime,
            proc.LastDelta.CpuUserTicks + proc.LastDelta.CpuSystemTicks, proc.Latest.Memory.ResidentBytes,
            proc.LastDelta.ReadBytes + proc.LastDelta.WriteBytes, proc.Latest.Counts);
}
