using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using ProcActors.Actors;
using ProcActors.Actors.View;

namespace ProcActors.Fleet;

/// <summary>
/// Publishes this host's summary to the fleet topic once per cycle, from the node view the pipeline (in the other
/// actor system) publishes. One message per host per cycle, delivered to every agent.
/// </summary>
public sealed class SummaryPublisherActor : ReceiveActor
{
    public const string Topic = "procactors.fleet.summaries";

    private readonly NodeViewStore _store;
    private readonly FleetOptions _options;
    private readonly IActorRef _mediator = DistributedPubSub.Get(Context.System).Mediator;
    private readonly string _address = Cluster.Get(Context.System).SelfAddress.ToString();
    private readonly Action<NodeView> _onPublished;
    private long _lastCycle = -1;

    public SummaryPublisherActor(NodeViewStore store, FleetOptions options)
    {
        _store = store;
        _options = options;
        var self = Self;
        _onPublished = view => self.Tell(new ViewPublished(view));
        Receive<ViewPublished>(published => Publish(published.View));
    }

    public static Props Props(NodeViewStore store, FleetOptions options) => Akka.Actor.Props.Create(() => new SummaryPublisherActor(store, options));

    protected override void PreStart()
    {
        _store.Published += _onPublished;
        Publish(_store.Current);
    }

    protected override void PostStop() => _store.Published -= _onPublished;

    private void Publish(NodeView view)
    {
        // The aggregator republishes a cycle's view when a snapshot completes: one summary per cycle is enough.
        if (view.Cycle == 0 || view.Cycle == _lastCycle) return;
        _lastCycle = view.Cycle;
        _mediator.Tell(new Publish(Topic, NodeSummaries.From(view, _address, AgentVersion.Current, _options.SummaryTop)));
    }

    private sealed record ViewPublished(NodeView View) : INoSerializationVerificationNeeded;
}
