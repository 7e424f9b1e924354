using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using ProcActors.Protocol;

namespace ProcActors.Fleet;

/// <summary>
/// Keeps this node's copy of the fleet view: membership from cluster events, figures from the summaries every host
/// publishes. Soft state: a new cluster system rebuilds it within one cycle.
/// </summary>
public sealed class FleetViewActor : ReceiveActor, IWithTimers
{
    private readonly FleetState _state;
    private readonly FleetViewStore _store;

    public FleetViewActor(FleetViewStore store, FleetOptions options)
    {
        _store = store;
        _state = new FleetState(options.NodeName, options.LeftRetention);
        Receive<ClusterEvent.MemberJoined>(e => Member(e.Member, (name, m, now) => _state.Joining(name, m.Address.ToString(), m.UniqueAddress.Uid, now)));
        Receive<ClusterEvent.MemberWeaklyUp>(e => Member(e.Member, (name, m, now) => _state.Joining(name, m.Address.ToString(), m.UniqueAddress.Uid, now)));
        Receive<ClusterEvent.MemberUp>(e => Member(e.Member, (name, m, now) => _state.Up(name, m.Address.ToString(), m.UniqueAddress.Uid, now)));
        Receive<ClusterEvent.UnreachableMember>(e => Member(e.Member, (name, m, now) => _state.Unreachable(name, m.UniqueAddress.Uid, now)));
        Receive<ClusterEvent.ReachableMember>(e => Member(e.Member, (name, m, now) => _state.Reachable(name, m.UniqueAddress.Uid, now)));
        Receive<ClusterEvent.MemberRemoved>(e => Member(e.Member, (name, m, now) => _state.Left(name, m.UniqueAddress.Uid, now)));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<NodeSummary>(summary =>
        {
            _state.Summary(summary, DateTimeOffset.UtcNow);
            _store.Publish(_state.View);
        });
        Receive<Prune>(_ =>
        {
            if (_state.Prune(DateTimeOffset.UtcNow)) _store.Publish(_state.View);
        });
        Receive<SubscribeAck>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(FleetViewStore store, FleetOptions options) => Akka.Actor.Props.Create(() => new FleetViewActor(store, options));

    protected override void PreStart()
    {
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(SummaryPublisherActor.Topic, Self));
        Timers.StartPeriodicTimer("prune", Prune.Instance, TimeSpan.FromSeconds(30));
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    private void Member(Member member, Action<string, Member, DateTimeOffset> apply)
    {
        // Members without a node role are not agents (a client or tool that joined): they have no figures to show.
        if (FleetRoles.NodeName(member.Roles) is not { } name) return;
        apply(name, member, DateTimeOffset.UtcNow);
        _store.Publish(_state.View);
    }

    private sealed class Prune : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly Prune Instance = new();
    }
}
