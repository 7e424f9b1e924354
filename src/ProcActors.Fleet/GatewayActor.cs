using Akka.Actor;
using ProcActors.Actors;
using ProcActors.Protocol;

namespace ProcActors.Fleet;

/// <summary>
/// The agent's front door on the network (<c>/user/gateway</c>): fleet queries are answered from this node's fleet
/// view, per-host queries go to the local aggregator or to the named host's gateway. Every routed answer comes within
/// the route timeout; a host that cannot answer yields <see cref="NodeUnavailable"/>, never silence.
/// </summary>
public sealed class GatewayActor : ReceiveActor
{
    public const string Name = "gateway";

    private readonly FleetViewStore _fleet;
    private readonly IActorRef _aggregator;
    private readonly string _self;
    private readonly TimeSpan _timeout;
    private readonly NodeViewStore? _nodes;
    private readonly Dictionary<long, (FleetView View, DateTime Used)> _paged = [];

    /// <summary>How long a paged view is kept after its last page was asked for.</summary>
    private static readonly TimeSpan PagedViewRetention = TimeSpan.FromSeconds(10);

    public GatewayActor(FleetViewStore fleet, IActorRef aggregator, string self, TimeSpan timeout, NodeViewStore? nodes)
    {
        _fleet = fleet;
        _nodes = nodes;
        _aggregator = aggregator;
        _self = self;
        _timeout = timeout;
        Receive<GetNodes>(_ => Sender.Tell(_fleet.Current.Nodes()));
        Receive<GetFleetGroups>(FleetGroups);
        Receive<GetFleetTop>(query => Sender.Tell(_fleet.Current.Top(query.N, query.By)));
        Receive<AskNode>(Route);
        Receive<object>(AskNode.IsNodeQuery, query => Local(query, Sender));
    }

    /// <param name="nodes">This host's published view: a query naming the cycle it already has an answer of is answered
    /// <see cref="Unchanged"/> here while that cycle is current (null: every query goes to the aggregator).</param>
    public static Props Props(FleetViewStore fleet, IActorRef aggregator, string self, TimeSpan timeout, NodeViewStore? nodes = null) =>
        Akka.Actor.Props.Create(() => new GatewayActor(fleet, aggregator, self, timeout, nodes));

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

    /// <summary>
    /// Page 0 is of the current view; the next pages come from the view page 0 named, kept while they are fetched, so
    /// that the pages of one answer are of one view even when summaries arrive meanwhile.
    /// </summary>
    private void FleetGroups(GetFleetGroups query)
    {
        var now = DateTime.UtcNow;
        if (_paged.Count > 0)
        {
            foreach (var stale in _paged.Where(p => now - p.Value.Used > PagedViewRetention).Select(p => p.Key).ToList()) _paged.Remove(stale);
        }
        if (query.KnownView != 0 && query.Page == 0 && _fleet.Current.Version == query.KnownView)
        {
            Sender.Tell(new Unchanged(_self, query.KnownView));
            return;
        }
        var view = query.View != 0 && _paged.TryGetValue(query.View, out var kept) ? kept.View : _fleet.Current;
        var pages = view.GroupPages();
        // A view no longer kept (or page 0): the current view's first page; the client starts again from it.
        var page = view.Version == query.View ? Math.Clamp(query.Page, 0, pages.Count - 1) : 0;
        if (pages.Count > 1) _paged[view.Version] = (view, now);
        Sender.Tell(pages[page]);
    }

    /// <summary>
    /// The local aggregator answers the asker directly: no temporary actor, task or second hop per query on the hot
    /// path. It is in this process and always answers; if it is restarting, the query waits in its mailbox.
    /// </summary>
    private void Local(object query, IActorRef sender)
    {
        var known = query switch
        {
            GetGroups q => q.KnownCycle,
            GetTop q => q.KnownCycle,
            _ => 0,
        };
        if (known != 0 && _nodes?.Current.Cycle == known) sender.Tell(new Unchanged(_self, known));
        else _aggregator.Tell(query, sender);
    }

    private void Forward(Task<object> answer, string node, IActorRef sender) =>
        answer.PipeTo(sender, success: reply => reply,
            failure: ex => new NodeUnavailable(node, ex is AskTimeoutException ? $"no answer within {_timeout.TotalSeconds:0.#} s" : ex.Message));
}
