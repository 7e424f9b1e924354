using ProcActors.Procfs;
using ProcActors.Testing;
using ProcActors.Tracking.Exits;

namespace ProcActors.Tracking.Tests.Exits;

/// <summary>The children fallback: a tracked parent's reaped-children CPU, less what the scans counted of those children.</summary>
public sealed class ReapedChildrenTests
{
    private readonly FakeProcSource _source = new();

    private LocalTracker Tracker(params string[] groups) => Tracker(children: true, groups);

    private LocalTracker Tracker(bool children, params string[] groups) =>
        new(new CommNamer(groups), new ScannerOptions { Children = children }) { ReapedChildren = new ReapedChildrenSink(ClockTicks.PerSecond) };

    private void Update(LocalTracker tracker)
    {
        tracker.Update(_source);
        _source.UptimeTicks += 500;
    }

    private static ProcCounts Cpu(LocalTracker tracker, string group) => tracker.Groups.Single(g => g.Name == group).Counts;

    [Fact]
    public void What_a_tracked_parent_reaps_between_scans_goes_to_its_group()
    {
        var tracker = Tracker(children: false, "make");
        var make = _source.Add(100, "make", startTicks: 10);
        make.Metrics.ReapedChildrenUserTicks = 1000;
        Update(tracker);

        make.Metrics.ReapedChildrenUserTicks = 1040;
        make.Metrics.ReapedChildrenSystemTicks = 10;
        Update(tracker);

        // What it reaped before the agent saw it is history, like every counter of a process first seen running.
        var counts = Cpu(tracker, "make");
        Assert.Equal((40ul, 10ul), (counts.CpuUserTicks, counts.CpuSystemTicks));
        Assert.Equal(50.0 / ClockTicks.PerSecond, tracker.Groups.Single().ShortLived.UnseenCpuSeconds, 6);
        Assert.Equal(0ul, counts.ReadBytes);
    }

    [Fact]
    public void A_child_the_scans_counted_is_not_counted_again_when_reaped()
    {
        var tracker = Tracker("make");
        _source.Add(100, "make", startTicks: 10);
        Update(tracker);

        // cc starts after that scan (counted from start, in make's group as its child) and is seen once.
        var cc = _source.Add(101, "cc", startTicks: _source.UptimeTicks - 10, parent: 100);
        cc.Metrics.Counts.CpuUserTicks = 30;
        Update(tracker);
        Assert.Equal(30ul, Cpu(tracker, "make").CpuUserTicks);

        // It works 15 ticks more unseen, exits and is reaped: make's cutime grows by its whole 45.
        _source.Remove(101);
        _source[100].Metrics.ReapedChildrenUserTicks = 45;
        Update(tracker);
        Update(tracker);

        Assert.Equal(45ul, Cpu(tracker, "make").CpuUserTicks);
    }

    [Fact]
    public void A_child_reaped_in_a_later_scan_than_it_vanished_is_credited_all_the_same()
    {
        var tracker = Tracker("make");
        _source.Add(100, "make", startTicks: 10);
        Update(tracker);
        var cc = _source.Add(101, "cc", startTicks: _source.UptimeTicks - 10, parent: 100);
        cc.Metrics.Counts.CpuUserTicks = 30;
        Update(tracker);

        _source.Remove(101);
        Update(tracker);
        _source[100].Metrics.ReapedChildrenUserTicks = 32;
        Update(tracker);

        Assert.Equal(32ul, Cpu(tracker, "make").CpuUserTicks);
    }

    [Fact]
    public void A_new_parent_counts_every_child_it_reaped()
    {
        var tracker = Tracker("make");
        Update(tracker);

        var make = _source.Add(100, "make", startTicks: _source.UptimeTicks - 5);
        make.Metrics.ReapedChildrenUserTicks = 20;
        Update(tracker);

        Assert.Equal(20ul, Cpu(tracker, "make").CpuUserTicks);
    }

    [Fact]
    public void Children_of_a_parent_that_exits_are_forgotten_with_it()
    {
        var tracker = Tracker("make");
        var sink = tracker.ReapedChildren!;
        _source.Add(100, "make", startTicks: 10);
        _source.Add(101, "cc", startTicks: 11, parent: 100);
        Update(tracker);
        Assert.Equal(2, sink.Count);

        _source.Remove(100);
        _source.Remove(101);
        Update(tracker);
        Assert.Equal(0, sink.Count);
    }
}
