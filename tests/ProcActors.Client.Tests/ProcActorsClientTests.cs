using System.Diagnostics;
using System.Runtime.CompilerServices;
using ProcActors.Actors;
using ProcActors.Actors.View;
using Akka.Actor;
using ProcActors.Fleet;
using ProcActors.Protocol;
using ProcActors.Testing;

namespace ProcActors.Client.Tests;

/// <summary>
/// The typed client against a real cluster actor system listening on a free loopback port, with the production
/// gateway in front of a scripted aggregator: every call crosses Akka.Remote and the binary protocol.
/// </summary>
public sealed class ProcActorsClientTests : IAsyncLifetime
{
    private readonly int _port = ServedProcess.FreePort();
    private ActorSystem _agent = null!;
    private FleetViewStore _fleet = null!;
    private readonly NodeViewStore _nodes = new(NodeView.Empty("here", 100) with { Cycle = ScriptedAggregator.Cycle });
    private readonly StrongBox<int> _asked = new();

    private string Agent => $"127.0.0.1:{_port}";

    public ValueTask InitializeAsync()
    {
        var options = new FleetOptions { Remote = new ClusterEndpoint("127.0.0.1", _port), NodeName = "here" };
        _agent = ActorSystem.Create(ClusterEndpoint.SystemName, FleetConfig.Build(options)
            .WithFallback(Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = WARNING")));
        _fleet = new FleetViewStore("here");
        var state = new FleetState("here", TimeSpan.FromMinutes(1));
        state.Up("here", $"akka.tcp://procactors@{Agent}", 1, DateTimeOffset.UtcNow);
        state.Up("away", "akka.tcp://procactors@127.0.0.1:1", 2, DateTimeOffset.UtcNow);
        state.Unreachable("away", 2, DateTimeOffset.UtcNow);
        _fleet.Publish(state.View);
        var aggregator = _agent.ActorOf(Props.Create(() => new ScriptedAggregator(_asked)), "aggregator");
        _agent.ActorOf(GatewayActor.Props(_fleet, aggregator, "here", TimeSpan.FromSeconds(1.5), _nodes), GatewayActor.Name);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _agent.Terminate();

    [Fact]
    public async Task Per_host_and_fleet_queries_come_back_typed()
    {
        await using var client = await ProcActorsClient.ConnectAsync(Agent, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        var groups = await client.GetGroupsAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(("here", 7L), (groups.Node, groups.Cycle));
        Assert.Equal([ScriptedAggregator.Web.Name], (await client.GetGroupsAsync("here", TestContext.Current.CancellationToken)).Groups.Select(g => g.Name));
        Assert.Equal(ScriptedAggregator.Web, groups.Groups[0]);
        var group = await client.GetGroupAsync("web", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("web", group.Group!.Name);
        var status = await client.GetAgentStatusAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("here", status.Node);

        var nodes = await client.GetNodesAsync(TestContext.Current.CancellationToken);
        Assert.Equal([("away", NodeStatus.Unreachable), ("here", NodeStatus.Up)], nodes.Nodes.Select(n => (n.Name, n.Status)));
        Assert.Equal("here", (await client.GetFleetGroupsAsync(TestContext.Current.CancellationToken)).AnsweredBy);
        Assert.Empty((await client.GetFleetTopAsync(5, TopBy.Cpu, TestContext.Current.CancellationToken)).Processes);
    }

    [Fact]
    public async Task An_unreachable_or_unknown_host_is_a_clear_error_at_once()
    {
        // "At once": without waiting for the client's timeout, which is long here so that a loaded CI machine's pauses
        // cannot be mistaken for it.
        await using var client = await ProcActorsClient.ConnectAsync(Agent, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var watch = Stopwatch.StartNew();
        var away = await Assert.ThrowsAsync<ProcActorsException>(() => client.GetGroupsAsync("away", TestContext.Current.CancellationToken));
        Assert.StartsWith("host away: unreachable since ", away.Message, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<ProcActorsException>(() => client.GetTopAsync(3, TopBy.Rss, "nowhere", TestContext.Current.CancellationToken));
        Assert.Equal("host nowhere: no host named \"nowhere\" in the fleet (known: away, here)", unknown.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"{watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_query_nobody_answers_times_out_with_the_client_s_timeout_and_cancellation_ends_it_earlier()
    {
        await using var client = await ProcActorsClient.ConnectAsync(Agent, TimeSpan.FromMilliseconds(700), TestContext.Current.CancellationToken);
        var watch = Stopwatch.StartNew();
        var timeout = await Assert.ThrowsAsync<ProcActorsException>(() => client.GetTopAsync(3, TopBy.Cpu, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal($"{Agent} did not answer within 0.7 s", timeout.Message);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(600), TimeSpan.FromSeconds(5));

        // Cancellation ends a query long before its timeout (30 s here: a CI machine's pauses are far shorter), and as a
        // cancellation, not as a timeout.
        await using var patient = await ProcActorsClient.ConnectAsync(Agent, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(100));
        watch.Restart();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => patient.GetTopAsync(3, TopBy.Cpu, cancellationToken: cancel.Token));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"{watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Connecting_where_no_agent_listens_fails_within_the_timeout_naming_the_address()
    {
        var nobody = $"127.0.0.1:{ServedProcess.FreePort()}";
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ProcActorsException>(() => ProcActorsClient.ConnectAsync(nobody, TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken));
        Assert.Contains(nobody, error.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"{watch.ElapsedMilliseconds} ms");
        await Assert.ThrowsAsync<ProcActorsException>(() => ProcActorsClient.ConnectAsync("no-port", null, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_fleet_answer_bigger_than_a_page_comes_in_pages_each_under_the_budget_and_the_client_joins_them()
    {
        var state = new FleetState("here", TimeSpan.FromMinutes(1));
        state.Up("here", $"akka.tcp://procactors@{Agent}", 1, DateTimeOffset.UtcNow);
        foreach (var host in new[] { "alpha", "bravo", "charlie" })
        {
            state.Up(host, $"akka.tcp://procactors@127.0.0.1:{host.Length}", host.Length, DateTimeOffset.UtcNow);
            var groups = Enumerable.Range(0, 300).Select(i => ScriptedAggregator.Web with { Name = $"service-with-a-long-templated-name-{i:D4}", Procs = i }).ToList();
            state.Summary(new NodeSummary(host, $"akka.tcp://procactors@127.0.0.1:{host.Length}", "0.1.0", 3, DateTimeOffset.UtcNow, 300, groups, []), DateTimeOffset.UtcNow);
        }
        var view = state.View;
        _fleet.Publish(view);
        var serializer = new ProtocolSerializer((ExtendedActorSystem)_agent);
        var whole = serializer.ToBinary(view.Groups() with { View = view.Version }).Length;
        var pages = view.GroupPages();
        Assert.True(whole > 128_000, $"the whole answer is {whole} bytes: more than Akka's default frame");
        Assert.InRange(pages.Count, 2, 20);
        Assert.All(pages, page => Assert.InRange(serializer.ToBinary(page).Length, 1, FleetView.PageBytes));

        await using var client = await ProcActorsClient.ConnectAsync(Agent, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        var answer = await client.GetFleetGroupsAsync(TestContext.Current.CancellationToken);

        Assert.Equal((0, 1, view.Version), (answer.Page, answer.Pages, answer.View));
        Assert.Equal(view.Groups().Groups, answer.Groups);
        Assert.Equal(view.Groups().Merged, answer.Merged);
        Assert.Equal(900, answer.Groups.Count);
        Assert.Equal(300, answer.Merged.Count);
        // The same view asked again: Unchanged on the wire, the joined answer again here.
        Assert.Same(answer, await client.GetFleetGroupsAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Asking_again_within_a_cycle_gets_unchanged_and_the_same_answer_and_a_new_cycle_asks_the_aggregator_again()
    {
        await using var client = await ProcActorsClient.ConnectAsync(Agent, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        var first = await client.GetGroupsAsync(cancellationToken: TestContext.Current.CancellationToken);
        var again = await client.GetGroupsAsync(cancellationToken: TestContext.Current.CancellationToken);
        var routed = await client.GetGroupsAsync("here", TestContext.Current.CancellationToken);
        var routedAgain = await client.GetGroupsAsync("here", TestContext.Current.CancellationToken);

        Assert.Same(first, again);
        Assert.Same(routed, routedAgain);
        Assert.Equal(2, _asked.Value);
        _nodes.Publish(_nodes.Current with { Cycle = ScriptedAggregator.Cycle + 1 });
        var next = await client.GetGroupsAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotSame(first, next);
        Assert.Equal(first.Groups, next.Groups);
        Assert.Equal(3, _asked.Value);
    }

    [Fact]
    public async Task Pages_are_joined_from_one_cycle_and_fetched_again_when_the_cycle_ends_meanwhile()
    {
        await using var client = await ProcActorsClient.ConnectAsync(Agent, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        var group = await client.GetGroupAsync("paged", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal([80, 81], group.Members.Select(m => m.Pid));
        Assert.Equal((8L, 0, 1), (group.Cycle, group.Page, group.Pages));
    }

    /// <summary>Answers as the real aggregator does, except that GetTop is never answered.</summary>
    private sealed class ScriptedAggregator : ReceiveActor
    {
        internal static readonly GroupSummary Web = new("web", 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.1, null, 2, new StateCounts(0, 2, 0, 0, 0), 3, 4, 5);

        internal const long Cycle = 7;

        public ScriptedAggregator(StrongBox<int> asked)
        {
            Receive<GetGroups>(_ =>
            {
                asked.Value++;
                Sender.Tell(new GroupsResponse("here", Cycle, null, [Web]));
            });
            var pagedAsks = 0;
            Receive<GetGroup>(q => q.Name == "paged", q =>
            {
                // Two pages. The asker's page 1 of cycle 7 comes when the agent no longer has cycle 7: it gets page 0
                // of cycle 8 instead, and must start again.
                pagedAsks++;
                var cycle = pagedAsks == 1 ? 7 : 8;
                var page = pagedAsks == 2 ? 0 : q.Page;
                var member = new ProcessSummary(cycle * 10 + page, "paged", "p", [], null, 0, 0, 0);
                Sender.Tell(new GroupResponse("here", cycle, Web, [member], page, Pages: 2));
            });
            Receive<GetGroup>(q => Sender.Tell(new GroupResponse("here", 7, q.Name == "web" ? Web : null, [])));
            Receive<GetAgentStatus>(_ => Sender.Tell(new AgentStatusResponse("here", "0.1.0", DateTimeOffset.UnixEpoch, 7, TimeSpan.Zero, TimeSpan.Zero, 1, 1, 1, 0, 0, 0, 0, 0, 0)));
            Receive<GetTop>(_ => { });
        }
    }
}
