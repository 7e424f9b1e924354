using System.Runtime.CompilerServices;
using ProcActors.Procfs;

namespace ProcActors.Tracking.Tests;

public sealed class ScanOrderTableTests
{
    private static ProcId Id(int pid) => new(pid, (ulong)pid * 3);

    /// <summary>A table of pids 1..<paramref name="count"/> (each holding its pid) in scan order, ready for a scan.</summary>
    private static ScanOrderTable<int> Scanned(int count)
    {
        var table = new ScanOrderTable<int>();
        for (var pid = 1; pid <= count; pid++) table.Add(Id(pid), pid);
        table.Tidy();
        return table;
    }

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
        var table = Scanned(200);
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

    [Fact]
    public void A_newcomer_is_linked_in_where_the_scan_met_it_and_costs_no_index_lookup_from_the_next_scan_on()
    {
        var table = Scanned(100);
        for (var pid = 1; pid <= 50; pid++) Assert.Equal(pid, table.Find(Id(pid)));
        Assert.True(Unsafe.IsNullRef(ref table.Find(Id(1000))));
        table.Add(Id(1000), 1000);
        for (var pid = 51; pid <= 100; pid++) Assert.Equal(pid, table.Find(Id(pid)));
        Assert.Equal(0, table.IndexLookups);
        table.Tidy();

        for (var pid = 1; pid <= 50; pid++) Assert.Equal(pid, table.Find(Id(pid)));
        Assert.Equal(1000, table.Find(Id(1000)));
        for (var pid = 51; pid <= 100; pid++) Assert.Equal(pid, table.Find(Id(pid)));
        Assert.Equal(0, table.IndexLookups);
        // Stored at the end of the array all the same: no layout was needed for it.
        Assert.Equal(Id(1000), table.IdAt(100));
    }

    [Fact]
    public void Processes_that_exited_cost_the_scan_no_index_lookup_before_or_after_they_are_removed()
    {
        var table = Scanned(100);
        // 50 exited: still held while the scan passes it by.
        for (var pid = 1; pid <= 100; pid++)
        {
            if (pid != 50) Assert.Equal(pid, table.Find(Id(pid)));
        }
        Assert.Equal(0, table.IndexLookups);
        table.Remove(Id(50), out _);
        // Ten in a row exited and were removed at once: the chain goes on through their empty slots.
        for (var pid = 70; pid < 80; pid++) table.Remove(Id(pid), out _);
        table.Tidy();
        for (var pid = 1; pid <= 100; pid++)
        {
            if (pid != 50 && pid is not (>= 70 and < 80)) Assert.Equal(pid, table.Find(Id(pid)));
        }
        Assert.Equal(0, table.IndexLookups);
        Assert.True(Unsafe.IsNullRef(ref table.Find(Id(75))));
    }

    [Fact]
    public void Ahead_is_the_entry_the_scan_will_meet_next_in_the_chain_and_nothing_past_the_end()
    {
        var table = Scanned(5);
        Assert.Equal(1, table.Ahead(1));
        Assert.Equal(2, table.Find(Id(2)));
        table.Add(Id(9), 9);
        Assert.Equal(3, table.Ahead(1));
        Assert.Equal(5, table.Ahead(3));
        Assert.True(Unsafe.IsNullRef(ref table.Ahead(4)));
        table.Remove(Id(3), out _);
        Assert.True(Unsafe.IsNullRef(ref table.Ahead(1)));
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(50_000)]
    public void Churn_costs_a_scan_a_bounded_number_of_index_lookups(int processes)
    {
        // As the scanner meets /proc: the same order each scan, 1 % replaced in place (half reusing the freed pid),
        // newcomers added after the scan, the unseen removed at its end.
        var random = new Random(3);
        var listed = new ProcId[processes];
        var nextPid = 1;
        for (var i = 0; i < processes; i++) listed[i] = new ProcId(nextPid++, 1);
        var table = new ScanOrderTable<int>();
        foreach (var id in listed) table.Add(id, 0);
        var lookups = new List<int>();
        for (var scan = 2; scan < 60; scan++)
        {
            for (var n = 0; n < processes / 100; n++)
            {
                var at = random.Next(processes);
                listed[at] = random.Next(2) == 0 ? new ProcId(listed[at].Pid, (ulong)scan) : new ProcId(nextPid++, (ulong)scan);
            }
            table.Tidy();
            var newcomers = new List<ProcId>();
            foreach (var id in listed)
            {
                ref var seen = ref table.Find(id);
                if (Unsafe.IsNullRef(ref seen)) newcomers.Add(id);
                else seen = scan;
            }
            foreach (var id in newcomers) table.Add(id, scan);
            lookups.Add(table.IndexLookups);
            for (var slot = 0; slot < table.Slots; slot++)
            {
                if (table.IsLive(slot) && table.ValueAt(slot) != scan) table.RemoveAt(slot);
            }
            Assert.Equal(processes, table.Count);
        }
        // A newcomer is added after the scan and met in place in the next: that scan and the ones after find it and the
        // entry after it through the index, until one in 16 lookups went through it and the table is laid out again.
        Assert.True(lookups.Skip(1).Max() <= processes / 16 + 2 * (processes / 100), $"index lookups per scan: {string.Join(", ", lookups)}");
    }
}
