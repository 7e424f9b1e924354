using ProcActors.Procfs;
using ProcActors.Procfs.Taskstats;
using ProcActors.Testing;
using ProcActors.Tracking.Exits;

namespace ProcActors.Tracking.Tests.Exits;

/// <summary>
/// The CPU of exits that no record holds (the teardown after the kernel's record), restored from the reaper's
/// reaped-children CPU: synthetic records and scans through the same attributor and Tracker the agent uses.
/// </summary>
public sealed class ExitTeardownTests
{
    private readonly FakeProcSource _source = new();
    private readonly List<ExitRecord> _records = [];

    private LocalTracker Tracker(params string[] groups) => Tracker(children: true, groups);

    private LocalTracker Tracker(bool children, params string[] groups) =>
        new(new CommNamer(groups), new ScannerOptions { Children = children }) { Teardown = new ExitTeardownSink(ClockTicks.PerSecond) };

    private ExitRecord Record(int pid, string comm, ulong cpuTicks, int parent, ulong systemTicks = 0) =>
        ExitRecords.Make(_source, pid, comm, startTicks: _source.UptimeTicks - 20, cpuTicks: cpuTicks, parent: parent, systemTicks: systemTicks);

    private void Update(LocalTracker tracker)
    {
        tracker.Update(_source, _records);
        _source.UptimeTicks += 500;
    }

    private static ulong Cpu(LocalTracker tracker, string group) =>
        tracker.Groups.SingleOrDefault(g => g.Name == group) is { } g ? g.Counts.CpuUserTicks + g.Counts.CpuSystemTicks : 0;

    [Fact]
    public void What_a_tracked_parent_reaped_beyond_its_children_s_records_goes_to_their_group()
    {
        var tracker = Tracker("sh", "burn");
        var sh = _source.Add(100, "sh", startTicks: 10);
        Update(tracker);

        // Two burners of 30 and 20 ticks by their records; sh's cutime + cstime shows 55: 5 ticks of teardown.
        _records.Add(Record(201, "burn", cpuTicks: 30, parent: 100));
        _records.Add(Record(202, "burn", cpuTicks: 20, parent: 100));
        sh.Metrics.ReapedChildrenUserTicks = 51;
        sh.Metrics.ReapedChildrenSystemTicks = 4;
        Update(tracker);

        // 55 ticks, less what the split into user and system leaves below a tick in each (carried to the next exit).
        Assert.InRange(Cpu(tracker, "burn"), 54ul, 55ul);
        Assert.Equal(0ul, Cpu(tracker, "sh"));
        Assert.Equal(5ul * (1_000_000_000ul / (ulong)ClockTicks.PerSecond), tracker.Teardown!.AddedNanos);
    }

    [Fact]
    public void Records_ahead_of_the_reaping_add_nothing_until_the_reaping_catches_up_and_nothing_twice()
    {
        var tracker = Tracker("sh", "burn");
        var sh = _source.Add(100, "sh", startTicks: 10);
        Update(tracker);

        // The records come while the children are zombies: sh has reaped nothing yet.
        _records.Add(Record(201, "burn", cpuTicks: 30, parent: 100));
        _records.Add(Record(202, "burn", cpuTicks: 20, parent: 100));
        Update(tracker);
        Assert.Equal(50ul, Cpu(tracker, "burn"));

        sh.Metrics.ReapedChildrenUserTicks = 30;
        Update(tracker);
        Assert.Equal(50ul, Cpu(tracker, "burn"));

        sh.Metrics.ReapedChildrenUserTicks = 54;
        Update(tracker);
        Update(tracker);
        Assert.Equal(54ul, Cpu(tracker, "burn"));
    }

    [Fact]
    public void What_a_parent_reaped_before_it_was_first_seen_is_history()
    {
        var tracker = Tracker("make", "cc");
        var make = _source.Add(100, "make", startTicks: 10);
        make.Metrics.ReapedChildrenUserTicks = 1000;
        Update(tracker);

        _records.Add(Record(201, "cc", cpuTicks: 10, parent: 100));
        make.Metrics.ReapedChildrenUserTicks = 1011;
        Update(tracker);

        Assert.Equal(11ul, Cpu(tracker, "cc"));
        Assert.Equal(0ul, Cpu(tracker, "make"));
    }

    [Fact]
    public void Grandchildren_reaped_by_an_ignored_parent_are_not_counted_again_at_the_tracked_grandparent()
    {
        // make (tracked) runs sh (no group: -children off), which runs two burners (tracked) and is reaped by make.
        var tracker = Tracker(children: false, "make", "burn");
        var make = _source.Add(100, "make", startTicks: 10);
        Update(tracker);

        _records.Add(Record(301, "burn", cpuTicks: 30, parent: 300));
        _records.Add(Record(302, "burn", cpuTicks: 20, parent: 300));
        Update(tracker);
        _records.Add(Record(300, "sh", cpuTicks: 2, parent: 100));
        // make's cutime: sh's own 2, its children's 50, and 4 ticks of teardown in all.
        make.Metrics.ReapedChildrenUserTicks = 56;
        Update(tracker);

        // The 50 once (by the records) and the teardown to the group whose children sh reaped; sh's own 2 nowhere.
        Assert.Equal(54ul, Cpu(tracker, "burn"));
        Assert.Equal(0ul, Cpu(tracker, "make"));
    }

    [Fact]
    public void A_parent_born_after_the_last_scan_gets_the_records_of_the_children_it_reaped_before_its_first_scan()
    {
        var tracker = Tracker("sh", "burn");
        Update(tracker);

        // sh starts, runs a burner of 30 ticks and is first scanned with 33 reaped.
        _records.Add(Record(201, "burn", cpuTicks: 30, parent: 100));
        var sh = _source.Add(100, "sh", startTicks: _source.UptimeTicks - 10);
        sh.Metrics.ReapedChildrenUserTicks = 33;
        Update(tracker);

        Assert.Equal(33ul, Cpu(tracker, "burn"));
    }

    [Fact]
    public void A_child_whose_record_was_lost_is_restored_from_its_reaper_to_the_group_of_its_siblings()
    {
        var tracker = Tracker("sh", "burn");
        var sh = _source.Add(100, "sh", startTicks: 10);
        Update(tracker);

        _records.Add(Record(201, "burn", cpuTicks: 30, parent: 100));
        sh.Metrics.ReapedChildrenUserTicks = 30;
        Update(tracker);

        // A second burner of 25 ticks whose record the socket dropped: only the reaping shows it.
        sh.Metrics.ReapedChildrenUserTicks = 55;
        Update(tracker);

        Assert.Equal(55ul, Cpu(tracker, "burn"));
    }

    [Fact]
    public void Children_of_several_groups_share_the_teardown_in_proportion_to_their_records()
    {
        var tracker = Tracker("sh", "a", "b");
        var sh = _source.Add(100, "sh", startTicks: 10);
        Update(tracker);

        _records.Add(Record(201, "a", cpuTicks: 300, parent: 100));
        _records.Add(Record(202, "b", cpuTicks: 100, parent: 100));
        sh.Metrics.ReapedChildrenUserTicks = 440;
        Update(tracker);

        Assert.Equal((330ul, 110ul), (Cpu(tracker, "a"), Cpu(tracker, "b")));
    }

    [Fact]
    public void A_reaper_that_never_reaps_what_its_children_s_records_show_adds_nothing_and_nothing_goes_down()
    {
        var tracker = Tracker("sh", "burn");
        var sh = _source.Add(100, "sh", startTicks: 10);
        sh.Metrics.ReapedChildrenUserTicks = 100;
        Update(tracker);

        _records.Add(Record(201, "burn", cpuTicks: 30, parent: 100));
        Update(tracker);
        // A reading lower than before (a damaged stat): no teardown, and no counter goes back.
        sh.Metrics.ReapedChildrenUserTicks = 90;
        Update(tracker);
        sh.Metrics.ReapedChildrenUserTicks = 125;
        Update(tracker);

        Assert.Equal(30ul, Cpu(tracker, "burn"));
        Assert.Equal(0ul, tracker.Teardown!.AddedNanos);
    }

    [Fact]
    public void Followed_processes_are_forgotten_when_they_are_gone()
    {
        var tracker = Tracker("sh", "burn");
        Update(tracker);
        for (var pid = 1000; pid < 1100; pid++)
        {
            _source.Add(pid, "sh", startTicks: _source.UptimeTicks - 5);
            // Records of children of pids that never show up (their parents are gone too).
            _records.Add(Record(pid + 10_000, "burn", cpuTicks: 1, parent: pid + 20_000));
        }
        Update(tracker);
        Assert.True(tracker.Teardown!.Count >= 200, $"{tracker.Teardown.Count} followed");

        for (var pid = 1000; pid < 1100; pid++) _source.Remove(pid);
        for (var i = 0; i < 5; i++) Update(tracker);

        Assert.Equal(0, tracker.Teardown.Count);
    }
}
