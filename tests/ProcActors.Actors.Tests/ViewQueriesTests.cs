using ProcActors.Actors.View;
using ProcActors.Procfs;
using ProcActors.Protocol;
using ProcActors.Tracking;

namespace ProcActors.Actors.Tests;

public sealed class ViewQueriesTests
{
    private static MemberView Member(int pid, ulong cpu, ulong rss, ulong io) =>
        new(pid, 1, $"p{pid}", [$"p{pid}"], null, cpu, rss, io, default);

    private static readonly NodeView View = NodeView.Empty("n", 100) with
    {
        Cycle = 3,
        IntervalSeconds = 5,
        Groups = new Dictionary<string, GroupView>
        {
            ["a"] = new(new GroupStats { Name = "a", Procs = 2 }, 0, 0, 0, [Member(1, cpu: 50, rss: 10, io: 7), Member(2, cpu: 500, rss: 5, io: 1)]),
            ["b"] = new(new GroupStats { Name = "b", Procs = 1 }, 0, 0, 0, [Member(3, cpu: 100, rss: 99, io: 3)]),
        },
    };

    [Fact]
    public void Answers_are_computed_once_per_view()
    {
        var queries = new ViewQueries(View, "1.0.0", DateTimeOffset.UnixEpoch);
        Assert.Same(queries.Groups(), queries.Groups());
        Assert.Same(queries.Group("a"), queries.Group("a"));
        Assert.Same(queries.Status(), queries.Status());
        Assert.Same(queries.Top(2, TopBy.Cpu), queries.Top(2, TopBy.Cpu));
        Assert.Null(queries.Group("missing").Group);
    }

    [Theory]
    [InlineData(TopBy.Cpu, new[] { 2, 3, 1 })]
    [InlineData(TopBy.Rss, new[] { 3, 1, 2 })]
    [InlineData(TopBy.Io, new[] { 1, 3, 2 })]
    public void Top_ranks_all_members_of_all_groups(TopBy by, int[] pids)
    {
        var queries = new ViewQueries(View, "1.0.0", DateTimeOffset.UnixEpoch);
        Assert.Equal(pids, queries.Top(10, by).Processes.Select(p => p.Pid));
        Assert.Equal(pids[..2], queries.Top(2, by).Processes.Select(p => p.Pid));
        Assert.Empty(queries.Top(-1, by).Processes);
    }

    [Fact]
    public void Rates_of_members_are_their_last_cycle_over_the_interval()
    {
        var top = new ViewQueries(View, "1.0.0", DateTimeOffset.UnixEpoch).Top(1, TopBy.Cpu).Processes.Single();
        // 500 ticks of 1/100 s in 5 s: 100 % of one CPU.
        Assert.Equal(100, top.CpuPercent, 9);
        Assert.Equal("a", top.Group);
    }
}
