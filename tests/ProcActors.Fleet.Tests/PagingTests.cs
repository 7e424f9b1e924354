using Akka.Actor;
using ProcActors.Protocol;

namespace ProcActors.Fleet.Tests;

/// <summary>Pages are cut by an upper bound of each entry's wire size: the bound must hold for any figures and names.</summary>
public sealed class PagingTests
{
    private static GroupSummary Widest(string name) =>
        new(name, int.MinValue, double.MaxValue, double.MinValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue,
            ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, double.NaN,
            DateTimeOffset.MaxValue, ulong.MaxValue, new StateCounts(int.MaxValue, int.MinValue, int.MaxValue, int.MinValue, int.MaxValue),
            double.MaxValue, double.MaxValue, double.MaxValue);

    [Fact]
    public async Task Every_page_of_widest_entries_stays_under_the_budget_and_nothing_is_lost_or_repeated()
    {
        var system = ActorSystem.Create("paging");
        try
        {
            var serializer = new ProtocolSerializer((ExtendedActorSystem)system);
            var rows = Enumerable.Range(0, 1_500).Select(i => new NodeGroup($"höst-{i % 7}-{new string('n', i % 90)}", NodeStatus.Up, Widest($"grüppe-{i}-{new string('x', i % 300)}"))).ToList();
            var merged = Enumerable.Range(0, 400).Select(i => Widest($"grüppe-{i}-{new string('x', i % 300)}")).ToList();
            var answer = new FleetGroupsResponse("answering-node", rows, merged);

            var pages = Paging.Cut(answer, 42, 32 * 1024);

            Assert.True(pages.Length > 10, $"{pages.Length} pages");
            Assert.All(pages, p => Assert.InRange(serializer.ToBinary(p).Length, 1, 32 * 1024));
            Assert.All(pages.Select((p, i) => (p, i)), x => Assert.Equal((x.i, pages.Length, 42L), (x.p.Page, x.p.Pages, x.p.View)));
            Assert.Equal(rows, pages.SelectMany(p => p.Groups));
            Assert.Equal(merged, pages.SelectMany(p => p.Merged));
            Assert.Single(Paging.Cut(answer with { Groups = [], Merged = [] }, 1, 32 * 1024));
        }
        finally
        {
            await system.Terminate();
        }
    }
}
