using ProcActors.Actors.Pipeline;
using ProcActors.Actors.View;
using ProcActors.Procfs;
using ProcActors.Tracking;

namespace ProcActors.Actors.Tests;

public sealed class CycleAssemblerTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static CycleClosed Closed(long cycle, int groups, double atSeconds, ScanResult? result = null) =>
        new(new CycleEnd(cycle, 0, T0.AddSeconds(atSeconds), TimeSpan.FromMilliseconds(10), result ?? new ScanResult { Listed = 5 }, 0), groups);

    private static GroupReport Report(long cycle, string group, ulong cpuTicks, ulong readBytes = 0) =>
        new(cycle, group, new GroupStats { Name = group, Procs = 1, Counts = new ProcCounts { CpuUserTicks = cpuTicks, ReadBytes = readBytes } }, [], 0);

    [Fact]
    public void A_cycle_completes_when_all_its_reports_and_its_close_are_in_whatever_their_order()
    {
        var assembler = new CycleAssembler(NodeView.Empty("n", 100));
        Assert.Null(assembler.Add(Report(1, "a", 0)));
        Assert.Null(assembler.Close(Closed(1, groups: 2, atSeconds: 0)));
        var view = assembler.Add(Report(1, "b", 0));

        Assert.NotNull(view);
        Assert.Equal(1, view.Cycle);
        Assert.Equal(["a", "b"], view.Groups.Keys.Order());
        Assert.Equal(1, view.Counters.Cycles);
    }

    [Fact]
    public void Rates_are_deltas_over_the_interval_between_scan_starts()
    {
        var assembler = new CycleAssembler(NodeView.Empty("n", 100));
        assembler.Add(Report(1, "a", cpuTicks: 100, readBytes: 1_000));
        assembler.Close(Closed(1, 1, atSeconds: 0));
        assembler.Add(Report(2, "a", cpuTicks: 350, readBytes: 6_000));
        var view = assembler.Close(Closed(2, 1, atSeconds: 5))!;

        // 250 ticks = 2.5 s of CPU in 5 s: 50 %; 5000 bytes in 5 s.
        Assert.Equal(50, view.Groups["a"].CpuPercent, 9);
        Assert.Equal(1_000, view.Groups["a"].ReadBytesPerSecond, 9);
        Assert.Equal(5, view.IntervalSeconds);
    }

    [Fact]
    public void An_older_cycle_overtaken_by_a_complete_newer_one_is_dropped()
    {
        var assembler = new CycleAssembler(NodeView.Empty("n", 100));
        assembler.Close(Closed(1, 2, atSeconds: 0));
        assembler.Add(Report(1, "a", 0));
        assembler.Add(Report(2, "a", 10));
        Assert.NotNull(assembler.Close(Closed(2, 1, atSeconds: 5)));

        Assert.Null(assembler.Add(Report(1, "b", 0)));
        Assert.Equal(2, assembler.Current.Cycle);
    }

    [Fact]
    public void A_failed_listing_counts_a_scrape_error_and_keeps_the_groups()
    {
        var assembler = new CycleAssembler(NodeView.Empty("n", 100));
        assembler.Add(Report(1, "a", 10));
        assembler.Close(Closed(1, 1, atSeconds: 0));
        var view = assembler.Close(Closed(2, 0, atSeconds: 5, new ScanResult { Error = "cannot list" }))!;

        Assert.Equal(1, view.Counters.ScrapeErrors);
        Assert.Equal(10UL, view.Groups["a"].Stats.Counts.CpuUserTicks);
    }

    [Fact]
    public void An_empty_group_removed_by_its_tracker_leaves_the_view()
    {
        var assembler = new CycleAssembler(NodeView.Empty("n", 100));
        assembler.Add(Report(1, "a", 10));
        assembler.Close(Closed(1, 1, atSeconds: 0));
        assembler.Add(new GroupReport(2, "a", null, [], 0));
        var view = assembler.Close(Closed(2, 1, atSeconds: 5))!;
        Assert.Empty(view.Groups);
    }

    [Fact]
    public void Skipped_intervals_and_backwards_counters_continue_from_a_restored_view_and_never_go_down()
    {
        // After a restart the scanner and the group actors start their own counts from zero: the view adds them.
        var restored = NodeView.Empty("n", 100) with { Counters = new AgentCounters { SkippedIntervals = 40, BackwardsCounters = 7 } };
        var assembler = new CycleAssembler(restored);
        assembler.Add(new GroupReport(1, "a", new GroupStats { Name = "a", Procs = 1 }, [], BackwardsCounters: 2));
        var first = assembler.Close(new CycleClosed(new CycleEnd(1, 0, T0, TimeSpan.Zero, new ScanResult(), SkippedIntervals: 1), 1))!;
        Assert.Equal(41, first.Counters.SkippedIntervals);
        Assert.Equal(9, first.Counters.BackwardsCounters);

        // A group actor that was stopped (its group emptied) takes nothing with it: what it counted stays.
        var second = assembler.Close(new CycleClosed(new CycleEnd(2, 0, T0.AddSeconds(5), TimeSpan.Zero, new ScanResult(), SkippedIntervals: 0), 0))!;
        Assert.Equal(41, second.Counters.SkippedIntervals);
        Assert.Equal(9, second.Counters.BackwardsCounters);
    }
}
