using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using ProcActors.Protocol;

namespace ProcActors.Client;

/// <summary>The agent could not be reached, did not answer in time, or the named host cannot answer.</summary>
public sealed class ProcActorsException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Asks one agent (and through it the fleet) over Akka.Remote, without joining the cluster: a client comes and goes
/// without membership changes, gossip or downing, and needs no receptionist. The agent's gateway answers fleet
/// queries from its own fleet view and routes per-host queries to the named host.
/// </summary>
public sealed class ProcActorsClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly ActorSystem _system;
    private readonly IActorRef _gateway;
    private readonly TimeSpan _timeout;

    private ProcActorsClient(ActorSystem system, IActorRef gateway, string agent, TimeSpan timeout)
    {
        _system = system;
        _gateway = gateway;
        Agent = agent;
        _timeout = timeout;
    }

    /// <summary>The agent asked, as HOST:PORT.</summary>
    public string Agent { get; }

    /// <summary>
    /// Connects to the agent at HOST:PORT (its --remote address): fails with a <see cref="ProcActorsException"/> when
    /// nothing answers there within the timeout. Every later call has the same timeout unless cancelled earlier.
    /// </summary>
    public static Task<ProcActorsClient> ConnectAsync(string agent, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(agent, tls: null, timeout, cancellationToken);

    /// <summary>Connects over TLS when the agents require it (their --remote-tls-cert): tls is the fleet's certificate.</summary>
    public static async Task<ProcActorsClient> ConnectAsync(string agent, RemoteTls? tls, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var (host, port) = ParseAgent(agent);
        var limit = timeout ?? DefaultTimeout;
        var config = ConfigurationFactory.ParseString(tls is null ? DirectTcpTransport.Hocon : RemoteTls.Hocon).WithFallback(Config(host));
        var setup = ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config));
        var system = ActorSystem.Create("procactors-client", tls is null ? setup : setup.And(tls.Setup()));
        try
        {
            var selection = system.ActorSelection($"akka{(tls is null ? "" : ".ssl")}.tcp://procactors@{FormatHost(host)}:{port.ToString(CultureInfo.InvariantCulture)}/user/gateway");
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            linked.CancelAfter(limit);
            IActorRef gateway;
            try
            {
                // An agent that is still starting refuses the connection at once: ask again until the limit.
                while (true)
                {
                    try
                    {
                        gateway = await selection.ResolveOne(limit, linked.Token).ConfigureAwait(false);
                        break;
                    }
                    catch (ActorNotFoundException) when (!linked.IsCancellationRequested)
                    {
                        await Task.Delay(250, linked.Token).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception ex) when (ex is ActorNotFoundException or TaskCanceledException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new ProcActorsException($"no agent answered at {agent} within {limit.TotalSeconds:0.#} s (is it running with --remote {agent}?)", ex);
            }
            return new ProcActorsClient(system, gateway, agent, limit);
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

    public Task<NodesResponse> GetNodesAsync(CancellationToken cancellationToken = default) =>
        AskAsync<NodesResponse>(GetNodes.Instance, "", cancellationToken);

    /// <summary>
    /// Every group of every host and the merged groups, in one answer: a big fleet's answer comes in pages (none near
    /// the transport's frame size), fetched here one after the other from the same fleet view and joined.
    /// </summary>
    public async Task<FleetGroupsResponse> GetFleetGroupsAsync(CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var last = _lastFleetGroups;
            var reply = await AskAsync<object>(new GetFleetGroups(KnownView: last?.View ?? 0), "", cancellationToken).ConfigureAwait(false);
            if (reply is Unchanged unchanged && last is not null && unchanged.Version == last.View) return last;
            if (reply is not FleetGroupsResponse first) throw new ProcActorsException($"{Agent} answered {reply.GetType().Name} to GetFleetGroups");
            if (first.Pages <= 1) return _lastFleetGroups = first;
            var groups = new List<NodeGroup>(first.Groups);
            var merged = new List<GroupSummary>(first.Merged);
            var complete = true;
            for (var page = 1; page < first.Pages && complete; page++)
            {
                var next = await AskAsync<FleetGroupsResponse>(new GetFleetGroups(page, first.View), "", cancellationToken).ConfigureAwait(false);
                // The agent no longer keeps that view (pages fetched too slowly): start again from the current one.
                complete = next.View == first.View && next.Page == page;
                groups.AddRange(next.Groups);
                merged.AddRange(next.Merged);
            }
            if (complete) return _lastFleetGroups = first with { Groups = groups, Merged = merged, Page = 0, Pages = 1 };
            if (attempt == 3) throw new ProcActorsException($"{Agent} replaced its fleet view while its pages were fetched, three times");
        }
    }

    public Task<FleetTopResponse> GetFleetTopAsync(int n, TopBy by, CancellationToken cancellationToken = default) =>
        AskAsync<FleetTopResponse>(new GetFleetTop(n, by), "", cancellationToken);

    /// <summary>
    /// The groups of the named host; of the asked agent's own host when node is null. Like every per-host answer, a
    /// big one comes in pages (none near the transport's frame size), fetched here from one cycle and joined.
    /// </summary>
    public Task<GroupsResponse> GetGroupsAsync(string? node = null, CancellationToken cancellationToken = default) =>
        AskKnownAsync<GroupsResponse>(GetGroups.Instance, known => new GetGroups(known), answer => answer.Cycle, node, cancellationToken,
            first => JoinPagesAsync<GroupsResponse, GroupSummary>(first, (page, cycle) => new GetGroups(Page: page, Cycle: cycle), a => a.Cycle, a => (a.Page, a.Pages), a => a.Groups,
                (a, all) => a with { Groups = all, Page = 0, Pages = 1 }, node, cancellationToken));

    /// <summary>One group with its processes; its Group is null when the host has no group of that name.</summary>
    public async Task<GroupResponse> GetGroupAsync(string name, string? node = null, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var first = await AskNodeAsync<GroupResponse>(new GetGroup(name), node, cancellationToken).ConfigureAwait(false);
            var whole = await JoinPagesAsync(first, (page, cycle) => new GetGroup(name, page, cycle), a => a.Cycle, a => (a.Page, a.Pages), a => a.Members,
                (a, all) => a with { Members = all, Page = 0, Pages = 1 }, node, cancellationToken).ConfigureAwait(false);
            if (whole is not null) return whole;
            if (attempt == 3) throw PagesKeptChanging(nameof(GetGroup));
        }
    }

    public Task<TopResponse> GetTopAsync(int n, TopBy by, string? node = null, CancellationToken cancellationToken = default) =>
        AskKnownAsync<TopResponse>(new GetTop(n, by), known => new GetTop(n, by, known), answer => answer.Cycle, node, cancellationToken,
            first => JoinPagesAsync<TopResponse, ProcessSummary>(first, (page, cycle) => new GetTop(n, by, Page: page, Cycle: cycle), a => a.Cycle, a => (a.Page, a.Pages), a => a.Processes,
                (a, all) => a with { Processes = all, Page = 0, Pages = 1 }, node, cancellationToken));

    public Task<AgentStatusResponse> GetAgentStatusAsync(string? node = null, CancellationToken cancellationToken = default) =>
        AskNodeAsync<AgentStatusResponse>(GetAgentStatus.Instance, node, cancellationToken);

    public async ValueTask DisposeAsync() => await _system.Terminate().ConfigureAwait(false);

    /// <summary>
    /// Asks naming the cycle of the last answer to the same question: an agent still on that cycle answers
    /// <see cref="Unchanged"/> (a few bytes) and that answer is returned again, so that asking many times a cycle costs
    /// neither end the whole answer each time. A new cycle's answer replaces it.
    /// </summary>
    private async Task<T> AskKnownAsync<T>(object question, Func<long, object> ask, Func<T, long> cycleOf, string? node, CancellationToken cancellationToken,
        Func<T, Task<T?>> complete)
        where T : class
    {
        var key = (node ?? "", question);
        for (var attempt = 1; ; attempt++)
        {
            var last = _answers.TryGetValue(key, out var kept) ? (T)kept : null;
            var query = ask(last is null ? 0 : cycleOf(last));
            var reply = await AskAsync<object>(node is null ? query : new AskNode(node, query), node ?? "", cancellationToken).ConfigureAwait(false);
            switch (reply)
            {
                case T first:
                    // A paged answer whose cycle ended while its pages were fetched: start again from the new cycle.
                    if (await complete(first).ConfigureAwait(false) is not { } answer)
                    {
                        if (attempt == 3) throw PagesKeptChanging(query.GetType().Name);
                        continue;
                    }
                    // Bounded: a program asking for ever new top sizes must not grow this without end.
                    if (_answers.Count >= MaxKeptAnswers) _answers.Clear();
                    _answers[key] = answer;
                    return answer;
                case Unchanged unchanged when last is not null && unchanged.Version == cycleOf(last):
                    return last;
                case NodeUnavailable unavailable:
                    throw new ProcActorsException($"host {unavailable.Node}: {unavailable.Reason}");
                default:
                    throw new ProcActorsException($"{Agent} answered {reply.GetType().Name} to {query.GetType().Name}{(node is null ? "" : " for " + node)}");
            }
        }
    }

    /// <summary>
    /// The whole answer of which <paramref name="first"/> is page 0: the other pages asked one after the other with the
    /// cycle page 0 named, and joined; null when the agent answered from another cycle (it no longer had that one).
    /// </summary>
    private async Task<T?> JoinPagesAsync<T, TItem>(T first, Func<int, long, object> pageQuery, Func<T, long> cycleOf, Func<T, (int Page, int Pages)> pagingOf,
        Func<T, IReadOnlyList<TItem>> itemsOf, Func<T, TItem[], T> join, string? node, CancellationToken cancellationToken)
        where T : class
    {
        var pages = pagingOf(first).Pages;
        if (pages <= 1) return first;
        var items = new List<TItem>(itemsOf(first));
        for (var page = 1; page < pages; page++)
        {
            var next = await AskNodeAsync<T>(pageQuery(page, cycleOf(first)), node, cancellationToken).ConfigureAwait(false);
            if (cycleOf(next) != cycleOf(first) || pagingOf(next) != (page, pages)) return null;
            items.AddRange(itemsOf(next));
        }
        return join(first, [.. items]);
    }

    private ProcActorsException PagesKeptChanging(string query) =>
        new($"{Agent} started a new cycle while the pages of its {query} answer were fetched, three times");

    private const int MaxKeptAnswers = 64;

    /// <summary>The last whole fleet answer, named in the next GetFleetGroups so that an unchanged view costs a few bytes.</summary>
    private volatile FleetGroupsResponse? _lastFleetGroups;

    private readonly ConcurrentDictionary<(string Node, object Question), object> _answers = new();

    private Task<T> AskNodeAsync<T>(object query, string? node, CancellationToken cancellationToken) =>
        AskAsync<T>(node is null ? query : new AskNode(node, query), node ?? "", cancellationToken);

    private async Task<T> AskAsync<T>(object query, string node, CancellationToken cancellationToken)
    {
        object reply;
        try
        {
            reply = await _gateway.Ask<object>(query, _timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException ex)
        {
            throw new ProcActorsException($"{Agent} did not answer within {_timeout.TotalSeconds:0.#} s", ex);
        }
        return reply switch
        {
            T answer => answer,
            NodeUnavailable unavailable => throw new ProcActorsException($"host {unavailable.Node}: {unavailable.Reason}"),
            _ => throw new ProcActorsException($"{Agent} answered {reply.GetType().Name} to {query.GetType().Name}{(node.Length > 0 ? " for " + node : "")}"),
        };
    }

    private static (string Host, int Port) ParseAgent(string agent)
    {
        var colon = agent.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(agent.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new ProcActorsException($"\"{agent}\" is not HOST:PORT");
        var host = agent[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        return (host, port);
    }

    private static string FormatHost(string host) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;

    /// <summary>
    /// Listens on an ephemeral port; on loopback when the agent is local (nothing exposed), otherwise on all interfaces
    /// under the machine's name so that the agent's replies find their way back.
    /// </summary>
    private static Config Config(string agentHost)
    {
        var local = agentHost == "localhost" || (IPAddress.TryParse(agentHost, out var ip) && IPAddress.IsLoopback(ip));
        var hostname = local ? (agentHost == "::1" ? "::1" : "127.0.0.1") : "0.0.0.0";
        var publicHost = local ? hostname : Dns.GetHostName();
        return ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = OFF
              stdout-loglevel = OFF
              actor.provider = remote
              remote {
                log-remote-lifecycle-events = off
                dot-netty.tcp {
                  hostname = "{{hostname}}"
                  public-hostname = "{{publicHost}}"
                  port = 0
                  maximum-frame-size = 512000b
                }
              }
            }
            """).WithFallback(ConfigurationFactory.ParseString(ProtocolSerializer.Hocon));
    }
}
