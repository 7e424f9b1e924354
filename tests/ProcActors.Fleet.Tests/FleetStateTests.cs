using ProcActors.Fleet;
using ProcActors.Protocol;

namespace ProcActors.Fleet.Tests;

public sealed class FleetStateTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    internal static GroupSummary Group(string name, int procs, double cpuPercent, ulong rss, DateTimeOffset? oldest = null, double fdRatio = 0.1) =>
        new(name, procs, procs * 1.5, procs * 0.5, 100, 200, 1, 2, 3, 4, rss, rss * 2, 0, rss / 2, 0, 10, fdRatio, oldest, (ulong)procs * 2,
            new StateCounts(1, procs - 1, 0, 0, 0), cpuPercent, 10, 20);

    internal static ProcessSummary Process(int pid, string group, double cpu, ulong rss, double io) =>
        new(pid, group, group, [group], T0, cpu, rss, io);

    internal static NodeSummary Summary(string node, long cycle, IReadOnlyList<GroupSummary> groups, IReadOnlyList<ProcessSummary>? top = null) =>
        new(node, $"akka.tcp://procactors@127.0.0.1:{4000 + node.Length}", "0.1.0", cycle, T0.AddSeconds(cycle), groups.Sum(g => g.Procs), groups, top ?? []);

    [Fact]
    public void Membership_and_summaries_make_the_nodes_answer()
    {
        var state = new FleetState("a", TimeSpan.FromMinutes(10));
        state.Joining("b", "akka.tcp://procactors@h:2", 22, T0);
        state.Up("a", "akka.tcp://procactors@h:1", 11, T0);
        state.Summary(Summary("a", 5, [Group("web", 2, 10, 100)]), T0);

        var nodes = state.View.Nodes();
        Assert.Equal("a", nodes.AnsweredBy);
        Assert.Equal(["a", "b"], nodes.Nodes.Select(n => n.Name));
        Assert.Equal(new NodeInfo("a", "akka.tcp://procactors@h:1", NodeStatus.Up, 5, T0.AddSeconds(5), 2, "0.1.0"), nodes.Nodes[0]);
        Assert.Equal(NodeStatus.Joining, nodes.Nodes[1].Status);
        Assert.Equal(0, nodes.Nodes[1].Cycle);
    }

    [Fact]
    public void An_unreachable_host_keeps_its_last_figures_flagged_and_a_removed_one_drops_out_then_is_forgotten()
    {
        var state = new FleetState("a", TimeSpan.FromMinutes(10));
        state.Up("b", "addr-b", 2, T0);
        state.Summary(Summary("b", 3, [Group("db", 1, 5, 50)]), T0);

        state.Unreachable("b", 2, T0.AddSeconds(5));
        var row = Assert.Single(state.View.Groups().Groups);
        Assert.Equal(("b", NodeStatus.Unreachable), (row.Node, row.Status));

        state.Reachable("b", 2, T0.AddSeconds(6));
        Assert.Equal(NodeStatus.Up, state.View.Find("b")!.Status);

        state.Left("b", 2, T0.AddSeconds(7));
        Assert.Equal(NodeStatus.Left, state.View.Find("b")!.Status);
        Assert.Empty(state.View.Groups().Groups);
        Assert.False(state.Prune(T0.AddMinutes(5)));
        Assert.True(state.Prune(T0.AddMinutes(11)));
        Assert.Null(state.View.Find("b"));
    }

    [Fact]
    public void Events_about_a_previous_incarnation_do_not_touch_the_new_one()
    {
        var state = new FleetState("a", TimeSpan.FromMinutes(10));
        state.Up("b", "addr-b", 2, T0);
        state.Unreachable("b", 2, T0.AddSeconds(1));
        state.Joining("b", "addr-b", 3, T0.AddSeconds(2));
        state.Up("b", "addr-b", 3, T0.AddSeconds(3));
        // The old incarnation is removed after the new one came up: the host stays up.
        state.Left("b", 2, T0.AddSeconds(4));
        var b = state.View.Find("b")!;
        Assert.Equal((NodeStatus.Up, 3L), (b.Status, b.Uid));
    }

    [Fact]
    public void An_older_summary_arriving_late_does_not_replace_a_newer_one()
    {
        var state = new FleetState("a", TimeSpan.FromMinutes(10));
        state.Summary(Summary("b", 9, [Group("db", 3, 5, 50)]), T0);
        state.Summary(Summary("b", 8, [Group("db", 1, 5, 50)]), T0);
        Assert.Equal(9, state.View.Find("b")!.Summary!.Cycle);
    }

    [Fact]
    public void Fleet_groups_list_each_host_s_groups_and_merge_them_by_name()
    {
        var state = new FleetState("a", TimeSpan.FromMinutes(10));
        state.Up("a", "addr-a", 1, T0);
        state.Up("b", "addr-b", 2, T0);
        state.Summary(Summary("a", 1, [Group("web", 2, 10, 100, T0.AddDays(-1), 0.2), Group("db", 1, 1, 10)]), T0);
        state.Summary(Summary("b", 1, [Group("web", 3, 5, 50, T0.AddDays(-2), 0.5)]), T0);

        var answer = state.View.Groups();
        Assert.Equal([("a", "db"), ("a", "web"), ("b", "web")], answer.Groups.Select(g => (g.Node, g.Group.Name)));
        var web = Assert.Single(answer.Merged, g => g.Name == "web");
        Assert.Equal(5, web.Procs);
        Assert.Equal(15, web.CpuPercent);
        Assert.Equal(150UL, web.ResidentBytes);
        Assert.Equal(0.5, web.WorstFdRatio);
        Assert.Equal(T0.AddDays(-2), web.OldestStartTime);
        Assert.Equal(new StateCounts(2, 3, 0, 0, 0), web.States);
        Assert.Same(answer, state.View.Groups());
    }

    [Fact]
    public void Fleet_top_ranks_every_host_s_busiest_by_the_measure()
    {
        var state = new FleetState("a", TimeSpan.FromMinutes(10));
        state.Up("a", "addr-a", 1, T0);
        state.Up("b", "addr-b", 2, T0);
        state.Summary(Summary("a", 1, [], [Process(1, "web", 50, 10, 0), Process(2, "web", 5, 900, 7)]), T0);
        state.Summary(Summary("b", 1, [], [Process(1, "db", 70, 20, 100)]), T0);

        Assert.Equal([("b", 1), ("a", 1)], state.View.Top(2, TopBy.Cpu).Processes.Select(p => (p.Node, p.Process.Pid)));
        Assert.Equal([("a", 2)], state.View.Top(1, TopBy.Rss).Processes.Select(p => (p.Node, p.Process.Pid)));
        Assert.Equal([("b", 1), ("a", 2), ("a", 1)], state.View.Top(10, TopBy.Io).Processes.Select(p => (p.Node, p.Process.Pid)));
        Assert.Empty(state.View.Top(-1, TopBy.Io).Processes);
    }
}
