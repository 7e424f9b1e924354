using System.Runtime.InteropServices;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Akka.Streams;
using Akka.Streams.Dsl;
using ProcActors.Actors.Persistence;
using ProcActors.Actors.Pipeline;
using ProcActors.Actors.View;
using ProcActors.Tracking;
using ProcActors.Tracking.Exits;

namespace ProcActors.Actors;

/// <summary>
/// The consuming end of the scan channel: an Akka.Streams graph pulls batches one at a time (the ack is the
/// demand, so a slow consumer backpressures the scanner) and this actor routes each sample to the group actor of
/// its group, creating group actors on demand. At a cycle's end it tells every group, then the aggregator, so that
/// the aggregator knows how many reports make the cycle complete. A group actor that fails is restarted and
/// continues from the last published view; so does this router with all its groups.
/// </summary>
public sealed class GroupRouterActor : ReceiveActor
{
    private readonly Dictionary<string, Child> _children = new(StringComparer.Ordinal);
    private readonly GroupShares _shares = new();
    private readonly List<SampleShare> _flushed = [];
    private readonly IActorRef _aggregator;
    private readonly AgentSettings _settings;
    private readonly ChannelReader<ScanBatch> _reader;
    private readonly NodeViewStore _store;
    private readonly object _stream = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _lastClosedCycle;
    private long _routingCycle;
    private long _childSequence;

    public GroupRouterActor(AgentSettings settings, ChannelReader<ScanBatch> reader, IActorRef aggregator, NodeViewStore store)
    {
        _settings = settings;
        _reader = reader;
        _store = store;
        _aggregator = aggregator;

        Receive<StreamInit>(_ => Sender.Tell(StreamAck.Instance));
        Receive<ScanBatch>(batch =>
        {
            Route(batch);
            Sender.Tell(StreamAck.Instance);
        });
        Receive<GroupEmptied>(RemoveIfStillEmpty);
        Receive<RestoreGroups>(Restore);
        Receive<StreamCompleted>(_ => _log.Info("Scan channel completed"));
        Receive<StreamFailed>(failed => throw new InvalidOperationException("The scan stream failed", failed.Cause));
        Receive<StreamTerminated>(ended =>
        {
            if (ReferenceEquals(ended.Stream, _stream) && ended.Cause is not null)
                throw new InvalidOperationException("The scan stream was torn down", ended.Cause);
        });
    }

    public static Props Props(AgentSettings settings, ChannelReader<ScanBatch> reader, IActorRef aggregator, NodeViewStore store) =>
        Akka.Actor.Props.Create(() => new GroupRouterActor(settings, reader, aggregator, store));

    /// <summary>
    /// A group actor that fails, even killed outright, is restarted and recovers its totals from the view. A stream
    /// torn down fails this router (see <see cref="PreStart"/>), which starts its stream and its groups again.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(maxNrOfRetries: -1, withinTimeRange: Timeout.InfiniteTimeSpan,
            localOnlyDecider: _ => Directive.Restart);

    /// <summary>
    /// Restarted after a failure (its group actors were stopped with it): every group of the last published view
    /// is created again from it, so the group totals continue.
    /// </summary>
    protected override void PostRestart(Exception reason)
    {
        // Right here, before any batch still in the mailbox creates a group without its totals.
        var current = _store.ReadConsistent(view => AgentSnapshot.From(view, DateTimeOffset.UtcNow));
        Restore(new RestoreGroups(current.Groups, current.Processes));
        base.PostRestart(reason);
    }

    protected override void PreStart()
    {
        var terminated = ChannelSource.FromReader(_reader)
            .WatchTermination(Keep.Right)
            .ToMaterialized(
                Sink.ActorRefWithAck<ScanBatch>(Self, StreamInit.Instance, StreamAck.Instance, StreamCompleted.Instance, ex => new StreamFailed(ex)),
                Keep.Left)
            .Run(Context.Materializer());
        // A stream torn down from outside (its actors killed) tells the sink nothing: without this no batch would come
        // again. The stream of a failed incarnation ends as this one starts: only our own stream's end counts.
        var stream = _stream;
        terminated.PipeTo(Self, success: () => new StreamTerminated(stream, null), failure: ex => new StreamTerminated(stream, ex));
    }

    private void Route(ScanBatch batch)
    {
        // A scan that failed midway sent no end: what it read goes to the groups under its own cycle, before this one.
        if (batch.Cycle != _routingCycle)
        {
            FlushShares(_routingCycle);
            _routingCycle = batch.Cycle;
        }
        if (batch.Exits is { } exits)
        {
            RouteExits(batch.Cycle, exits.AsSpan(0, batch.ExitCount));
            ChannelProcSink.ReturnExits(exits);
        }
        for (var i = 0; i < batch.Count; i++)
        {
            if (_shares.Add(batch.Samples[i], out var full)) Deliver(batch.Cycle, full);
        }
        ChannelProcSink.ReleaseBatch(batch);

        if (batch.End is not { } end) return;
        FlushShares(end.Cycle);
        // Group names come and go (templates with {{.PID}}): drop the state of groups that were not needed.
        if (_shares.Groups > 4 * Math.Max(16, _children.Count)) _shares.ForgetIdle();
        _lastClosedCycle = end.Cycle;
        // A scan that could not list processes saw nobody: no group may take that as everybody exiting.
        if (end.Result.Error is null)
        {
            var endCycle = new EndCycle(end.Cycle);
            foreach (var child in _children.Values) child.Actor.Tell(endCycle);
        }
        _aggregator.Tell(new CycleClosed(end, end.Result.Error is null ? _children.Count : 0));
    }

    private void FlushShares(long cycle)
    {
        _shares.Flush(_flushed);
        foreach (var share in _flushed) Deliver(cycle, share);
        _flushed.Clear();
    }

    private void Deliver(long cycle, in SampleShare share)
    {
        var child = ChildFor(share.Group);
        child.LastRoutedCycle = cycle;
        child.Actor.Tell(new ObserveSamples(cycle, share));
    }

    /// <summary>Each group's exits, in their order, in a pooled array of its own (counted first, then filled).</summary>
    private void RouteExits(long cycle, ReadOnlySpan<ProcExit> exits)
    {
        _exitShares.Clear();
        foreach (ref readonly var exit in exits)
        {
            ref var share = ref CollectionsMarshal.GetValueRefOrAddDefault(_exitShares, exit.Group, out _);
            share.Count++;
        }
        foreach (var group in _exitShares.Keys)
        {
            ref var share = ref CollectionsMarshal.GetValueRefOrNullRef(_exitShares, group);
            share.Exits = ChannelProcSink.RentExits(share.Count);
            share.Count = 0;
        }
        foreach (ref readonly var exit in exits)
        {
            ref var share = ref CollectionsMarshal.GetValueRefOrNullRef(_exitShares, exit.Group);
            share.Exits![share.Count++] = exit;
        }
        foreach (var (group, share) in _exitShares)
        {
            var child = ChildFor(group);
            child.LastRoutedCycle = cycle;
            child.Actor.Tell(new ObserveExits(cycle, share.Exits!, share.Count));
        }
        _exitShares.Clear();
    }

    private struct ExitShare
    {
        public ProcExit[]? Exits;
        public int Count;
    }

    private readonly Dictionary<string, ExitShare> _exitShares = new(StringComparer.Ordinal);

    private Child ChildFor(string group, GroupRestore? restore = null)
    {
        if (_children.TryGetValue(group, out var child)) return child;
        // Unique across restarts of this router: the children of a failed incarnation may still be stopping.
        var name = $"group-{++_childSequence}-{Guid.NewGuid():N}";
        child = new Child(Context.ActorOf(GroupActor.Props(group, _aggregator, _settings.RemoveEmptyGroups, restore, _store), name));
        _children.Add(group, child);
        return child;
    }

    private void Restore(RestoreGroups restore)
    {
        var baselines = restore.Processes.ToLookup(p => p.Group, StringComparer.Ordinal);
        foreach (var group in restore.Groups)
        {
            var share = new GroupRestore(group, [.. baselines[group.Name]]);
            if (restore.Late && _children.TryGetValue(group.Name, out var child)) child.Actor.Tell(new MergeRestore(share, restore.SavedScanUptimeTicks));
            else ChildFor(group.Name, share);
        }
        // Every group hears of it before its next end of cycle: the reports of the cycles closed from now on hold it.
        if (restore.Late) _aggregator.Tell(new RestoreMerged(_lastClosedCycle + 1));
    }

    /// <summary>An emptied group is stopped only if nothing was routed to it or closed since it said so.</summary>
    private void RemoveIfStillEmpty(GroupEmptied emptied)
    {
        if (!_children.TryGetValue(emptied.Group, out var child)) return;
        if (child.LastRoutedCycle > emptied.Cycle || _lastClosedCycle != emptied.Cycle || _shares.Holds(emptied.Group)) return;
        Context.Stop(child.Actor);
        _children.Remove(emptied.Group);
    }

    private sealed class Child(IActorRef actor)
    {
        public IActorRef Actor { get; } = actor;
        public long LastRoutedCycle;
    }
}

public static class GroupRouterActorHostingExtensions
{
    public static AkkaConfigurationBuilder AddGroupRouterActor(
        this AkkaConfigurationBuilder builder, AgentSettings settings, ChannelReader<ScanBatch> reader, NodeViewStore store) =>
        builder.WithActors((system, registry) =>
        {
            var aggregator = registry.Get<AggregatorActor>();
            registry.Register<GroupRouterActor>(system.ActorOf(GroupRouterActor.Props(settings, reader, aggregator, store), "groups"));
        });
}
