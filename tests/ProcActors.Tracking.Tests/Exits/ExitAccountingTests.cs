using ProcActors.Procfs;
using ProcActors.Procfs.Taskstats;
using ProcActors.Testing;

namespace ProcActors.Tracking.Tests.Exits;

/// <summary>Synthetic exit records fed with scans through the same attributor and Tracker the agent uses.</summary>
public sealed class ExitAccountingTests
{
    private static readonly int Hz = ClockTicks.PerSecond;
    private static readonly ulong NanosPerTick = 1_000_000_000ul / (ulong)Hz;
    private readonly FakeProcSource _source = new();
    private readonly List<ExitRecord> _records = [];

    private ExitRecord Record(int pid, string comm, ulong startTicks, ulong cpuTicks = 0, ulong cpuNanos = 0, int tgid = 0, int parent = 1,
        bool groupDead = true, ulong bytes = 0, ulong? processStartTicks = null, ulong systemTicks = 0) =>
        ExitRecords.Make(_source, pid, comm, startTicks, cpuTicks, cpuNanos, tgid, parent, groupDead, bytes, processStartTicks, systemTicks);

    private void Exit(params ExitRecord[] records) => _records.AddRange(records);

    private void Update(LocalTracker tracker)
    {
        tracker.Update(_source, _records);
        _source.UptimeTicks += 5 * (ulong)Hz;
    }

    private static GroupStats Group(LocalTracker tracker, string name) => tracker.Groups.Single(g => g.Name == name);

    [Fact]
    public void A_process_that_lived_and_died_between_two_scans_counts_its_whole_record()
    {
        var tracker = new LocalTracker(new CommNamer("burn"));
        Update(tracker);

        Exit(Record(200, "burn", startTicks: _source.UptimeTicks - 50, cpuTicks: 30, bytes: 4096));
        Update(tracker);

        var burn = Group(tracker, "burn");
        Assert.Equal(30ul, burn.Counts.CpuUserTicks);
        Assert.Equal(4096ul, burn.Counts.ReadBytes);
        Assert.Equal(0, burn.Procs);
        Assert.Equal(new ShortLived(1, 30.0 / Hz, 1), new ShortLived(burn.ShortLived.ExitedUnseen, burn.ShortLived.UnseenCpuSeconds, burn.ShortLived.ExitRecords));
    }

    private readonly record struct ShortLived(long Exited, double Cpu, long Records);

    [Fact]
    public void A_tracked_process_adds_only_what_its_record_shows_beyond_its_last_scan()
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        var web = _source.Add(10, "web", startTicks: 10);
        web.Metrics.Counts.CpuUserTicks = 1000;
        web.Metrics.Counts.ReadBytes = 1000;
        Update(tracker);
        web.Metrics.Counts.CpuUserTicks = 1100;
        web.Metrics.Counts.ReadBytes = 1500;
        Update(tracker);
        Assert.Equal(100ul, Group(tracker, "web").Counts.CpuUserTicks);

        _source.Remove(10);
        Exit(Record(10, "web", startTicks: 10, cpuTicks: 1130, bytes: 1600));
        Update(tracker);
        Update(tracker);

        var group = Group(tracker, "web");
        Assert.Equal(130ul, group.Counts.CpuUserTicks);
        Assert.Equal(600ul, group.Counts.ReadBytes);
        Assert.Equal(0, group.ShortLived.ExitedUnseen);
        Assert.Equal(1, group.ShortLived.ExitRecords);
    }

    [Theory]
    // The record splits the same total differently from the last scan: nothing was done since, nothing is added.
    [InlineData(150ul, 50ul, 0ul, 0ul)]
    // 40 ticks more than scanned, split 3:1 by the record: exactly 40 added, in the record's proportion (per-part
    // comparison would add 80 user ticks and none of system).
    [InlineData(180ul, 60ul, 30ul, 10ul)]
    // The record shows less than scanned (tick samples behind the scan's exact split): nothing, never negative.
    [InlineData(90ul, 90ul, 0ul, 0ul)]
    public void A_tracked_process_s_remainder_is_compared_on_its_total_cpu(ulong recordUser, ulong recordSystem, ulong addedUser, ulong addedSystem)
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        var web = _source.Add(10, "web", startTicks: 10);
        web.Metrics.Counts.CpuUserTicks = 100;
        web.Metrics.Counts.CpuSystemTicks = 100;
        Update(tracker);
        var before = Group(tracker, "web").Counts;

        _source.Remove(10);
        Exit(Record(10, "web", startTicks: 10, cpuTicks: recordUser, systemTicks: recordSystem));
        Update(tracker);

        var after = Group(tracker, "web").Counts;
        Assert.Equal((addedUser, addedSystem), (after.CpuUserTicks - before.CpuUserTicks, after.CpuSystemTicks - before.CpuSystemTicks));
    }

    [Fact]
    public void A_zombie_still_listed_after_its_record_adds_nothing_more()
    {
        var tracker = new LocalTracker(new CommNamer("job"));
        Update(tracker);

        var start = _source.UptimeTicks - 20;
        _source.Add(30, "job", startTicks: start).Metrics.Counts.CpuUserTicks = 12;
        Exit(Record(30, "job", startTicks: start, cpuTicks: 12));
        Update(tracker);
        Update(tracker);

        var job = Group(tracker, "job");
        Assert.Equal(12ul, job.Counts.CpuUserTicks);
        Assert.Equal(0, job.Procs);
    }

    [Fact]
    public void A_record_that_comes_after_the_scan_that_lost_its_process_adds_only_the_rest()
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        _source.Add(10, "web", startTicks: 10).Metrics.Counts.CpuUserTicks = 500;
        Update(tracker);
        _source[10].Metrics.Counts.CpuUserTicks = 540;
        Update(tracker);

        _source.Remove(10);
        Update(tracker);
        Assert.Equal(40ul, Group(tracker, "web").Counts.CpuUserTicks);

        Exit(Record(10, "web", startTicks: 10, cpuTicks: 555));
        Update(tracker);
        Assert.Equal(55ul, Group(tracker, "web").Counts.CpuUserTicks);
    }

    [Fact]
    public void Threads_roll_up_into_their_process_and_a_thread_leaving_a_live_process_adds_nothing()
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        var web = _source.Add(50, "web", startTicks: 10);
        web.Metrics.Counts.CpuUserTicks = 100;
        Update(tracker);

        // A worker thread exits; the process's own counters already hold its work.
        Exit(Record(51, "web", startTicks: 20, cpuTicks: 40, tgid: 50, groupDead: false, processStartTicks: 10));
        web.Metrics.Counts.CpuUserTicks = 160;
        Update(tracker);
        Assert.Equal(60ul, Group(tracker, "web").Counts.CpuUserTicks);

        // The rest go: a second worker, then the last thread with the group record.
        _source.Remove(50);
        Exit(Record(52, "web", startTicks: 20, cpuTicks: 70, tgid: 50, groupDead: false, processStartTicks: 10),
            Record(50, "web", startTicks: 10, cpuTicks: 90, tgid: 50, groupDead: true));
        Update(tracker);

        // 40 + 70 + 90 = 200 over the life of the process, of which the scans counted 160.
        var group = Group(tracker, "web");
        Assert.Equal(100ul, group.Counts.CpuUserTicks);
        Assert.Equal(1, group.ShortLived.ExitRecords);
        Assert.Equal(0, tracker.Exits.HeldThreadGroups);
    }

    [Fact]
    public void A_reused_pid_is_another_process()
    {
        var tracker = new LocalTracker(new CommNamer("web", "burn"));
        _source.Add(10, "web", startTicks: 10).Metrics.Counts.CpuUserTicks = 500;
        Update(tracker);

        // pid 10 exits unseen and is reused by a short-lived burn, which exits too: its record is not web's.
        _source.Remove(10);
        Exit(Record(10, "burn", startTicks: _source.UptimeTicks - 10, cpuTicks: 7));
        Update(tracker);

        Assert.Equal(7ul, Group(tracker, "burn").Counts.CpuUserTicks);
        Assert.Equal(1, Group(tracker, "burn").ShortLived.ExitedUnseen);
        Assert.Equal(0ul, Group(tracker, "web").Counts.CpuUserTicks);
    }

    [Fact]
    public void An_unmatched_process_joins_its_tracked_parent_or_its_parent_exiting_with_it()
    {
        var tracker = new LocalTracker(new CommNamer("make"));
        _source.Add(100, "make", startTicks: 10);
        Update(tracker);

        var now = _source.UptimeTicks;
        // make → sh → cc: cc exits first, then sh; neither was ever scanned.
        Exit(Record(102, "cc", startTicks: now - 5, cpuTicks: 20, parent: 101),
            Record(101, "sh", startTicks: now - 8, cpuTicks: 3, parent: 100),
            Record(103, "stray", startTicks: now - 8, cpuTicks: 9, parent: 1));
        Update(tracker);

        var make = Group(tracker, "make");
        Assert.Equal(23ul, make.Counts.CpuUserTicks);
        Assert.Equal(2, make.ShortLived.ExitedUnseen);
        Assert.DoesNotContain(tracker.Groups, g => g.Name is "stray" or "cc" or "sh");
        // The stray's parent may still turn up in a scan: it is given up only after that chance.
        Assert.Equal(0, tracker.Exits.Unattributed);
        Update(tracker);
        Assert.Equal(1, tracker.Exits.Unattributed);
        Assert.Equal(23ul, Group(tracker, "make").Counts.CpuUserTicks);
    }

    [Fact]
    public void A_child_of_a_parent_not_scanned_yet_waits_for_the_scan_that_sees_the_parent()
    {
        var tracker = new LocalTracker(new CommNamer("make"));
        Update(tracker);

        // make starts after the scan and a child of it exits before the next one.
        var now = _source.UptimeTicks;
        _source.Add(100, "make", startTicks: now - 10);
        Exit(Record(101, "cc", startTicks: now - 5, cpuTicks: 20, parent: 100));
        Update(tracker);
        Assert.Equal(0ul, Group(tracker, "make").Counts.CpuUserTicks);

        Update(tracker);
        Assert.Equal(20ul, Group(tracker, "make").Counts.CpuUserTicks);
        Assert.Equal(0, tracker.Exits.Unattributed);
    }

    [Fact]
    public void Without_children_an_unmatched_process_is_not_counted()
    {
        var tracker = new LocalTracker(new CommNamer("make"), new ScannerOptions { Children = false });
        _source.Add(100, "make", startTicks: 10);
        Update(tracker);

        Exit(Record(101, "cc", startTicks: _source.UptimeTicks - 5, cpuTicks: 20, parent: 100));
        Update(tracker);
        Update(tracker);
        Update(tracker);

        Assert.Equal(0ul, Group(tracker, "make").Counts.CpuUserTicks);
        Assert.Equal(1, tracker.Exits.Unattributed);
    }

    [Fact]
    public void The_children_of_an_ignored_parent_are_ignored()
    {
        var tracker = new LocalTracker(new CommNamer("make"));
        _source.Add(100, "bash", startTicks: 10);
        Update(tracker);

        Exit(Record(101, "cc", startTicks: _source.UptimeTicks - 5, cpuTicks: 20, parent: 100));
        Update(tracker);
        Update(tracker);

        Assert.Empty(tracker.Groups);
        Assert.Equal(0, tracker.Exits.Unattributed);
    }

    [Fact]
    public void CPU_below_a_tick_per_process_adds_up_exactly()
    {
        var tracker = new LocalTracker(new CommNamer("burn"));
        Update(tracker);

        var half = NanosPerTick / 2;
        for (var pid = 200; pid < 207; pid++) Exit(Record(pid, "burn", startTicks: _source.UptimeTicks - 1, cpuNanos: half));
        Update(tracker);

        // 7 × half a tick: 3 whole ticks counted, half a tick carried to the next exit.
        Assert.Equal(3ul, Group(tracker, "burn").Counts.CpuUserTicks);
        Exit(Record(300, "burn", startTicks: _source.UptimeTicks - 1, cpuNanos: half));
        Update(tracker);
        Assert.Equal(4ul, Group(tracker, "burn").Counts.CpuUserTicks);
    }

    [Fact]
    public void A_leader_exiting_before_its_threads_is_counted_once_across_both_records()
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        Update(tracker);

        var start = _source.UptimeTicks - 10;
        // The leader leaves first (pthread_exit in main): its record looks like a whole process's.
        Exit(Record(60, "web", startTicks: start, cpuTicks: 5));
        Update(tracker);
        Exit(Record(61, "web", startTicks: start + 1, cpuTicks: 8, tgid: 60, groupDead: false, processStartTicks: start),
            Record(62, "web", startTicks: start + 1, cpuTicks: 4, tgid: 60, groupDead: true, processStartTicks: start));
        Update(tracker);

        var web = Group(tracker, "web");
        Assert.Equal(17ul, web.Counts.CpuUserTicks);
        Assert.Equal(1, web.ShortLived.ExitedUnseen);
    }

    [Fact]
    public void Remembered_exits_are_forgotten_after_a_few_cycles()
    {
        var tracker = new LocalTracker(new CommNamer("burn"));
        Update(tracker);
        for (var pid = 200; pid < 300; pid++) Exit(Record(pid, "burn", startTicks: _source.UptimeTicks - 1, cpuTicks: 1));
        Update(tracker);
        for (var i = 0; i < 4; i++) Update(tracker);

        Assert.Equal(100ul, Group(tracker, "burn").Counts.CpuUserTicks);
        Assert.Equal(0, tracker.Tracker.RememberedExits);
    }

    [Fact]
    public void The_default_config_groups_an_unseen_process_by_its_comm_and_leaves_kernel_threads_out()
    {
        var tracker = new LocalTracker(ProcActors.Tracking.Grouping.NamingConfig.Parse("""
            process_names:
              - name: "{{.Comm}}"
                cmdline:
                  - '.+'
            """, "<default>"));
        Update(tracker);

        var now = _source.UptimeTicks;
        Exit(Record(200, "burn", startTicks: now - 5, cpuTicks: 3), Record(201, "kworker/0:1", startTicks: now - 5, cpuTicks: 2, parent: 2));
        Update(tracker);

        Assert.Equal(3ul, Group(tracker, "burn").Counts.CpuUserTicks);
        Assert.DoesNotContain(tracker.Groups, g => g.Name == "kworker/0:1");
    }

    [Fact]
    public void After_a_reload_exit_records_are_named_by_the_new_rules()
    {
        var tracker = new LocalTracker(new CommNamer("old"));
        Update(tracker);

        tracker.ReplaceNamer(new CommNamer("new"));
        Exit(Record(200, "new", startTicks: _source.UptimeTicks - 50, cpuTicks: 7));
        Exit(Record(201, "old", startTicks: _source.UptimeTicks - 50, cpuTicks: 9));
        Update(tracker);

        Assert.Equal(7ul, Group(tracker, "new").Counts.CpuUserTicks);
        Assert.DoesNotContain(tracker.Groups, g => g.Name == "old" && g.Counts.CpuUserTicks > 0);
    }

    [Fact]
    public void Records_taken_ahead_between_scans_are_attributed_as_if_they_came_with_the_scan()
    {
        var tracker = new LocalTracker(new CommNamer("make"));
        _source.Add(100, "make", startTicks: 10);
        Update(tracker);

        // The chain of the test above, one record per pass: the child before the parent whose record names its group.
        var now = _source.UptimeTicks;
        Exit(Record(102, "cc", startTicks: now - 5, cpuTicks: 20, parent: 101));
        tracker.TakeAhead(_source, _records);
        Exit(Record(101, "sh", startTicks: now - 8, cpuTicks: 3, parent: 100));
        tracker.TakeAhead(_source, _records);
        Exit(Record(103, "stray", startTicks: now - 8, cpuTicks: 9, parent: 1));
        tracker.TakeAhead(_source, _records);
        Assert.Equal(0ul, Group(tracker, "make").Counts.CpuUserTicks);
        Update(tracker);

        Assert.Equal(23ul, Group(tracker, "make").Counts.CpuUserTicks);
        Assert.Equal(2, Group(tracker, "make").ShortLived.ExitedUnseen);
        Assert.Equal(0, tracker.Exits.Unattributed);
        Update(tracker);
        Assert.Equal(1, tracker.Exits.Unattributed);
        Assert.Equal(23ul, Group(tracker, "make").Counts.CpuUserTicks);
    }

    /// <summary>
    /// Random process trees under a tracked make, an untracked unnamed parent, a parent born after the scan and pid 1:
    /// each interval's records fed all at once to one tracker, and in random passes ahead to another. Every group's
    /// counters and the unattributed count are the same.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Passes_ahead_change_nothing_in_what_is_counted(int seed)
    {
        var random = new Random(seed);
        var whole = new LocalTracker(new CommNamer("make", "sh"));
        var ahead = new LocalTracker(new CommNamer("make", "sh"));
        _source.Add(100, "make", startTicks: 10);
        _source.Add(150, "bash", startTicks: 10);
        var wholeRecords = new List<ExitRecord>();
        var aheadRecords = new List<ExitRecord>();
        void Both()
        {
            whole.Update(_source, wholeRecords);
            ahead.Update(_source, aheadRecords);
            _source.UptimeTicks += 5 * (ulong)Hz;
        }
        Both();
        var nextPid = 1000;
        for (var interval = 0; interval < 6; interval++)
        {
            var now = _source.UptimeTicks;
            if (interval == 2) _source.Add(160, "late", startTicks: now - 20, parent: 100);
            var exited = new List<ExitRecord>();
            var parents = new List<int> { 100, 150, 1, 160, 999 };
            for (var i = 0; i < 40; i++)
            {
                var pid = nextPid++;
                var parent = parents[random.Next(parents.Count)];
                var comm = random.Next(4) switch { 0 => "sh", 1 => "cc", 2 => "ld", _ => "make" };
                exited.Add(Record(pid, comm, startTicks: now - 30 + (ulong)random.Next(20), cpuTicks: (ulong)random.Next(1, 50), parent: parent));
                parents.Add(pid);
            }
            // Children exit before their parents, as they do: a parent's record comes after its children's.
            exited.Reverse();
            foreach (var record in exited)
            {
                wholeRecords.Add(record);
                aheadRecords.Add(record);
                if (random.Next(5) == 0) ahead.TakeAhead(_source, aheadRecords);
            }
            Both();
        }
        Both();
        Both();

        Assert.Equal(whole.Exits.Unattributed, ahead.Exits.Unattributed);
        Assert.Equal(whole.Groups.Select(g => (g.Name, g.Counts, g.ShortLived.ExitedUnseen)), ahead.Groups.Select(g => (g.Name, g.Counts, g.ShortLived.ExitedUnseen)));
        Assert.True(whole.Groups.Sum(g => g.ShortLived.ExitedUnseen) > 100, "the trees were mostly counted");
    }
}
