using System.Runtime.CompilerServices;
using ProcActors.Procfs;

namespace ProcActors.Tracking.Tests;

public sealed class ScanOrderTableTests
{
    private static ProcId Id(int pid) => new(pid, (ulong)pid * 3);

    [Fact]
    public void Holds_the_same_as_a_dictionary_through_any_mix_of_lookups_births_exits_and_compactions()
    {
        var random = new Random(7);
        var table = new ScanOrderTable<int>();
        var model = new Dictionary<ProcId, int>();
        for (var step = 0; step < 50_000; step++)
        {
            var id = Id(random.Next(600));
            switch (random.Next(10))
            {
                case < 4:
                    ref var found = ref table.Find(id);
                    Assert.Equal(model.TryGetValue(id, out var expected), !Unsafe.IsNullRef(ref found));
                    if (!Unsafe.IsNullRef(ref found))
                    {
                        Assert.Equal(expected, found);
                        found = step;
                        model[id] = step;
                    }
                    break;
                case < 7:
                    if (model.TryAdd(id, step)) Assert.Equal(step, table.Add(id, step));
                    break;
                case < 9:
                    var held = model.Remove(id, out var removed);
                    Assert.Equal(held, table.Remove(id, out var value));
                    if (held) Assert.Equal(removed, value);
                    break;
                default:
                    // A scan: every entry found in order, a few dropped on the way, then tidied.
                    for (var slot = 0; slot < table.Slots; slot++)
                    {
                        if (!table.IsLive(slot)) continue;
                        var at = table.IdAt(slot);
                        Assert.Equal(model[at], table.ValueAt(slot));
                        if (random.Next(8) == 0)
                        {
                            table.RemoveAt(slot);
                            model.Remove(at);
                        }
                    }
                    table.Tidy();
                    break;
            }
            Assert.Equal(model.Count, table.Count);
        }
        foreach (var (id, value) in model)
        {
            Assert.Equal(value, table.Get(id));
        }
    }

    [Fact]
    public void After_a_scan_that_met_them_out_of_place_the_entries_are_laid_out_in_its_order()
    {
        var table = new ScanOrderTable<string>();
        for (var pid = 1; pid <= 100; pid++) table.Add(Id(pid), $"p{pid}");
        table.Tidy();
        // The scan meets the odd pids backwards, a newcomer first; the even ones have exited.
        Assert.Equal("new", table.Add(Id(1000), "new"));
        for (var pid = 99; pid >= 1; pid -= 2) Assert.Equal($"p{pid}", table.Find(Id(pid)));
        for (var pid = 2; pid <= 100; pid += 2) table.Remove(Id(pid), out _);
        table.Tidy();

        Assert.Equal(51, table.Slots);
        Assert.Equal(Id(1000), table.IdAt(0));
        Assert.Equal(Id(99), table.IdAt(1));
        Assert.Equal(Id(1), table.IdAt(50));
        // The next scan in the same order finds each where it looks first, and by identity.
        Assert.Equal("new", table.Find(Id(1000)));
        Assert.Equal("p99", table.Find(Id(99)));
        Assert.Equal("p1", table.Get(Id(1)));
    }

    [Fact]
    public void A_few_newcomers_out_of_place_leave_the_layout_alone()
    {
        var table = new ScanOrderTable<int>();
        for (var pid = 1; pid <= 200; pid++) table.Add(Id(pid), pid);
        table.Tidy();
        table.Add(Id(1000), 1000);
        table.Tidy();
        // Met between 100 and 101: two lookups through the index, not enough to lay the table out again.
        for (var pid = 1; pid <= 100; pid++) Assert.Equal(pid, table.Find(Id(pid)));
        Assert.Equal(1000, table.Find(Id(1000)));
        for (var pid = 101; pid <= 200; pid++) Assert.Equal(pid, table.Find(Id(pid)));
        table.Tidy();
        Assert.Equal(Id(1000), table.IdAt(200));
    }

    [Fact]
    public void An_emptied_slot_keeps_nothing_reachable()
    {
        var table = new ScanOrderTable<string?>();
        table.Add(Id(1), "one");
        table.Add(Id(2), "two");
        Assert.True(table.Remove(Id(1), out var removed));
        Assert.Equal("one", removed);
        Assert.False(table.IsLive(0));
        Assert.Null(table.ValueAt(0));
        Assert.False(table.Remove(Id(1), out _));
        Assert.True(Unsafe.IsNullRef(ref table.Find(Id(1))));
    }
}
