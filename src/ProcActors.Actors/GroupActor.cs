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
    private readonly CycleMembers _members = new();

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
            foreach (ref readonly var sample in share.Samples.AsSpan(0, share.Count))
            {
                _members.Observed(_tracker.Observe(sample));
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
            var (stats, members) = _members.End(_tracker);
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
        _members.Begin(_tracker.Count);
    }
}
