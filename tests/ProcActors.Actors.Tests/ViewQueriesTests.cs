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

    [Fact]
    public void The_busiest_n_are_the_first_n_of_the_whole_ranking_ties_by_pid()
    {
        var random = new Random(20261201);
        for (var round = 0; round < 50; round++)
        {
            // Few distinct values, so that ties (broken by pid) are common.
            var pids = Enumerable.Range(1, 400).OrderBy(_ => random.Next()).ToArray();
            var groups = new Dictionary<string, GroupView>();
            var next = 0;
            for (var g = 0; g < 7; g++)
            {
                var members = new List<MemberView>();
                for (var m = random.Next(0, 60); m > 0 && next < pids.Length; m--)
                    members.Add(Member(pids[next++], cpu: (ulong)random.Next(0, 5), rss: (ulong)random.Next(0, 4) * 4096, io: (ulong)random.Next(0, 3)));
                groups[$"g{g}"] = new(new GroupStats { Name = $"g{g}", Procs = members.Count }, 0, 0, 0, members);
            }
            var view = View with { Groups = groups };
            foreach (var by in Enum.GetValues<TopBy>())
            {
                var ranked = NodeViewQueries.Rank(view, by);
                Assert.Equal(next, ranked.Length);
                for (var i = 1; i < ranked.Length; i++)
                    Assert.True(Precedes(ranked[i - 1].Member, ranked[i].Member, by), $"{by}: {ranked[i - 1].Member.Pid} before {ranked[i].Member.Pid}");
                foreach (var n in new[] { 0, 1, 5, 37, next, next + 10 })
                    Assert.Equal(ranked.Take(n), NodeViewQueries.Busiest(view, n, by));
            }
        }

        static bool Precedes(MemberView a, MemberView b, TopBy by)
        {
            var (ka, kb) = by switch
            {
                TopBy.Rss => (a.ResidentBytes, b.ResidentBytes),
                TopBy.Io => (a.IoBytesDelta, b.IoBytesDelta),
                _ => (a.CpuTicksDelta, b.CpuTicksDelta),
            };
            return ka > kb || (ka == kb && a.Pid < b.Pid);
        }
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

    /// <summary>A node of 3,000 processes with long command lines in one group, and 1,500 groups with long names.</summary>
    private static NodeView Big()
    {
        var args = Enumerable.Range(0, 20).Select(i => $"--option-{i}=/var/lib/service/with/a/long/path/{i}").ToArray();
        var members = Enumerable.Range(1, 3000).Select(pid => new MemberView(pid, 1, $"worker{pid}", [$"/usr/bin/worker{pid}", .. args], null,
            (ulong)pid, (ulong)pid * 4096, (ulong)(3000 - pid), default)).ToArray();
        var groups = new Dictionary<string, GroupView>
        {
            ["workers"] = new(new GroupStats { Name = "workers", Procs = members.Length }, 0, 0, 0, members),
        };
        for (var i = 0; i < 1500; i++)
        {
            var name = $"group-{i:D4}-" + new string('x', 100);
            groups[name] = new(new GroupStats { Name = name, Procs = 0 }, 0, 0, 0, []);
        }
        return NodeView.Empty("n", 100) with { Cycle = 8, IntervalSeconds = 5, Groups = groups };
    }

    [Fact]
    public void Big_answers_come_in_pages_under_the_budget_that_join_to_the_whole_answer()
    {
        var view = Big();
        var queries = new ViewQueries(view, "1.0.0", DateTimeOffset.UnixEpoch);
        using var system = Akka.Actor.ActorSystem.Create("paging");
        var serializer = new ProtocolSerializer((Akka.Actor.ExtendedActorSystem)system);

        var group = Pages(i => queries.Group("workers", i), a => (a.Page, a.Pages), serializer);
        Assert.All(group, page => Assert.Equal("workers", page.Group!.Name));
        Assert.Equal(NodeViewQueries.Group(view, "workers").Members, group.SelectMany(p => p.Members));

        var top = Pages(i => queries.Top(3000, TopBy.Cpu, i), a => (a.Page, a.Pages), serializer);
        Assert.Equal(NodeViewQueries.Top(view, 3000, TopBy.Cpu).Processes, top.SelectMany(p => p.Processes));
        Assert.Equal(3000, top[0].Processes[0].Pid);

        var groups = Pages(queries.Groups, a => (a.Page, a.Pages), serializer);
        Assert.Equal(NodeViewQueries.Groups(view).Groups, groups.SelectMany(p => p.Groups));

        // A small answer stays one page; pages past the end are the last page, and each is computed once.
        Assert.Equal((0, 1), (queries.Top(10, TopBy.Cpu).Page, queries.Top(10, TopBy.Cpu).Pages));
        Assert.Same(queries.Group("workers", group.Count - 1), queries.Group("workers", 1_000));
        Assert.Same(queries.Group("workers", 1), queries.Group("workers", 1));
    }

    /// <summary>Every page of an answer: numbered in order, each under the page budget once serialized.</summary>
    private static List<T> Pages<T>(Func<int, T> page, Func<T, (int Page, int Pages)> paging, ProtocolSerializer serializer)
        where T : notnull
    {
        var first = page(0);
        var count = paging(first).Pages;
        Assert.True(count > 1, $"{typeof(T).Name} was not paged");
        var pages = Enumerable.Range(0, count).Select(page).ToList();
        for (var i = 0; i < count; i++)
        {
            Assert.Equal((i, count), paging(pages[i]));
            var bytes = serializer.ToBinary(pages[i]).Length;
            Assert.True(bytes <= WireSize.PageBytes, $"page {i} of {typeof(T).Name}: {bytes} bytes");
            // Pages are filled: none but the last is less than half the budget.
            if (i < count - 1) Assert.True(bytes > WireSize.PageBytes / 2, $"page {i} of {typeof(T).Name}: only {bytes} bytes");
        }
        return pages;
    }
}

public sealed class QueryCacheTests
{
    private static NodeView ViewOf(long cycle) => NodeView.Empty("n", 100) with { Cycle = cycle };

    [Fact]
    public void Later_pages_come_from_the_cycle_page_0_named_while_it_is_current_or_previous()
    {
        var cache = new QueryCache("1.0.0", DateTimeOffset.UnixEpoch);
        var first = ViewOf(7);
        var firstAnswers = cache.Of(first);
        Assert.Same(firstAnswers, cache.Of(first));

        // Cycle 8 is published while an asker fetches the pages of cycle 7.
        var second = ViewOf(8);
        Assert.Same(firstAnswers, cache.ForPage(second, cycle: 7, page: 2, out var page));
        Assert.Equal(2, page);
        Assert.Same(cache.Of(second), cache.ForPage(second, cycle: 8, page: 1, out page));
        Assert.Equal(1, page);

        // Page 0 is always of the current cycle.
        Assert.Same(cache.Of(second), cache.ForPage(second, cycle: 7, page: 0, out page));

        // Two cycles on, cycle 7 is gone: the asker gets page 0 of the current cycle and starts again.
        var third = ViewOf(9);
        Assert.Same(cache.Of(third), cache.ForPage(third, cycle: 7, page: 2, out page));
        Assert.Equal(0, page);
    }
}
