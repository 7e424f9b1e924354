using Akka.Actor;
using ProcActors.Protocol;

namespace ProcActors.Fleet;

/// <summary>
/// The agent's front door on the network (<c>/user/gateway</c>): fleet queries are answered from this node's fleet
/// view, per-host queries go to the local aggregator or to the named host's gateway. Every answer comes within the
/// route timeout; a host that cannot answer yields <see cref="NodeUnavailable"/>, never silence.
/// </summary>
public sealed class GatewayActor : ReceiveActor
{
    public const string Name = "gateway";

    private readonly FleetViewStore _fleet;
    private readonly IActorRef _aggregator;
    private readonly string _self;
    private readonly TimeSpan _timeout;

    public GatewayActor(FleetViewStore fleet, IActorRef aggregator, string self, TimeSpan timeout)
    {
        _fleet = fleet;
        _aggregator = aggregator;
        _self = self;
        _timeout = timeout;
        Receive<GetNodes>(_ => Sender.Tell(_fleet.Current.Nodes()));
        Receive<GetFleetGroups>(_ => Sender.Tell(_fleet.Current.Groups()));
        Receive<GetFleetTop>(query => Sender.Tell(_fleet.Current.Top(query.N, query.By)));
        Receive<AskNode>(Route);
        Receive<object>(AskNode.IsNodeQuery, query => Local(query, Sender));
    }

    public static Props Props(FleetViewStore fleet, IActorRef aggregator, string self, TimeSpan timeout) =>
        Akka.Actor.Props.Create(() => new GatewayActor(fleet, aggregator, self, timeout));

    private void Route(AskNode ask)
    {
        if (!AskNode.IsNodeQuery(ask.Query))
        {
            Sender.Tell(new NodeUnavailable(ask.Node, $"{ask.Query.GetType().Name} is not a per-host query"));
            return;
        }
        if (string.Equals(ask.Node, _self, StringComparison.Ordinal))
        {
            Local(ask.Query, Sender);
            return;
        }
        var view = _fleet.Current;
        switch (view.Find(ask.Node))
        {
            case null:
                Sender.Tell(new NodeUnavailable(ask.Node, $"no host named \"{ask.Node}\" in the fleet (known: {string.Join(", ", view.Members.Select(m => m.Name))})"));
                break;
            case { Status: NodeStatus.Unreachable or NodeStatus.Left } member:
                Sender.Tell(new NodeUnavailable(ask.Node, $"{member.Status.ToString().ToLowerInvariant()} since {member.Since:u}"));
                break;
            case var member:
                Forward(Context.ActorSelection($"{member.Address}/user/{Name}").Ask<object>(ask.Query, _timeout), ask.Node, Sender);
                break;
        }
    }

    private void Local(object query, IActorRef sender) => Forward(_aggregator.Ask<object>(query, _timeout), _self, sender);

    private void Forward(Task<object> answer, string node, IActorRef sender) =>
        answer.PipeTo(sender, success: reply => reply,
            failure: ex => new NodeUnavailable(node, ex is AskTimeoutException ? $"no answer within {_timeout.TotalSeconds:0.#} s" : ex.Message));
}
