using ProcActors.Testing;
using ProcActors.Procfs;
using ProcActors.Tracking.Exits;

namespace ProcActors.Tracking.Tests;

public sealed class TrackerTests
{
    private readonly FakeProcSource _source = new();

    private static ProcCounts All(ulong value) => new()
    {
        CpuUserTicks = value, CpuSystemTicks = value, ReadBytes = value, WriteBytes = value,
        MajorPageFaults = value, MinorPageFaults = value, VoluntaryCtxSwitches = value, NonvoluntaryCtxSwitches = value,
    };

    private static GroupStats Group(LocalTracker tracker, string name) => tracker.Groups.Single(g => g.Name == name);

    [Fact]
    public void A_process_running_before_the_first_scan_counts_only_what_it_does_afterwards()
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        _source.Add(10, "web").Advance(1000);

        tracker.Update(_source);
        Assert.Equal(All(0), Group(tracker, "web").Counts);

        _source[10].Advance(7);
        tracker.Update(_source);
        Assert.Equal(All(7), Group(tracker, "web").Counts);

        _source[10].Advance(5);
        tracker.Update(_source);
        Assert.Equal(All(12), Group(tracker, "web").Counts);
        Assert.Equal(All(5), tracker.Tracker.Procs.Single().LastDelta);
    }

    [Fact]
    public void A_process_started_after_the_previous_scan_counts_everything_it_did()
    {
        var tracker = new LocalTracker(new CommNamer("job"));
        _source.UptimeTicks = 5_000;
        tracker.Update(_source);

        _source.UptimeTicks = 5_500;
        _source.Add(20, "job", startTicks: 5_100).Advance(40);
        tracker.Update(_source);

        Assert.Equal(All(40), Group(tracker, "job").Counts);
    }

    [Fact]
    public void A_process_first_seen_that_started_before_the_previous_scan_counts_only_deltas()
    {
        var tracker = new LocalTracker(new CommNamer("job"));
        _source.UptimeTicks = 5_000;
        tracker.Update(_source);

        // Unreadable at the previous scan, or missed by it: it started before, so its history is not ours to count.
        _source.UptimeTicks = 5_500;
        _source.Add(20, "job", startTicks: 4_900).Advance(40);
        tracker.Update(_source);

        Assert.Equal(All(0), Group(tracker, "job").Counts);
    }

    [Fact]
    public void An_exited_process_is_dropped_and_its_group_keeps_its_counts()
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        _source.Add(10, "web");
        _source.Add(11, "web");
        tracker.Update(_source);
        _source[10].Advance(3);
        _source[11].Advance(4);
        tracker.Update(_source);

        _source.Remove(10);
        _source[11].Advance(1);
        tracker.Update(_source);

        var web = Group(tracker, "web");
        Assert.Equal(1, web.Procs);
        Assert.Equal(All(8), web.Counts);
        Assert.Equal(1, tracker.Tracker.Count);
        Assert.Equal(1, tracker.Scanner.Registry.Count);

        _source.Remove(11);
        tracker.Update(_source);
        web = Group(tracker, "web");
        Assert.Equal(0, web.Procs);
        Assert.Equal(All(8), web.Counts);
        Assert.Null(web.OldestStartTime);
        Assert.Equal(0, tracker.Tracker.Count);
    }

    private struct Seen() : ILiveProcVisitor
    {
        public List<int> Pids { get; } = [];

        public readonly void Visit(TrackedProc proc) => Pids.Add(proc.Id.Pid);
    }

    [Fact]
    public void The_end_of_a_cycle_shows_exactly_the_processes_that_lived_through_it_and_their_gauges_match()
    {
        var tracker = new Tracker();
        ProcSample Sample(int pid, ulong rss) => new()
        {
            Id = new ProcId(pid, 7), Group = "web",
            Metrics = new ProcMetrics { Counts = All(1), Memory = new ProcMemory { ResidentBytes = rss } },
        };
        tracker.BeginCycle();
        foreach (var pid in new[] { 10, 11, 12 }) tracker.Observe(Sample(pid, 100));
        var seen = new Seen();
        Assert.Equal(300UL, tracker.EndCycle(ref seen).Single().Memory.ResidentBytes);
        Assert.Equal([10, 11, 12], seen.Pids.Order());

        // 11 is gone: not shown, not in the gauges, and the next cycle does not bring it back.
        tracker.BeginCycle();
        tracker.Observe(Sample(10, 100));
        tracker.Observe(Sample(12, 50));
        seen = new Seen();
        var web = tracker.EndCycle(ref seen).Single();
        Assert.Equal([10, 12], seen.Pids.Order());
        Assert.Equal((2, 150UL), (web.Procs, web.Memory.ResidentBytes));
        Assert.Equal(2, tracker.Count);
    }

    private static ProcSample Web(int pid, ulong rss, ulong counts = 1, SampleKind kind = SampleKind.Read) => new()
    {
        Id = new ProcId(pid, 7), Group = "web", Kind = kind,
        Metrics = new ProcMetrics { Counts = All(counts), Memory = new ProcMemory { ResidentBytes = rss }, NumThreads = 1 },
    };

    [Fact]
    public void Each_process_that_lives_through_a_cycle_is_returned_once_by_the_sample_that_made_it_live()
    {
        var tracker = new Tracker();
        tracker.BeginCycle();
        Assert.Equal(10, tracker.Observe(Web(10, 100))?.Id.Pid);
        Assert.Null(tracker.Observe(Web(11, 100, kind: SampleKind.Unread)));   // not tracked: nothing to keep
        Assert.Equal(12, tracker.Observe(Web(12, 100))?.Id.Pid);
        tracker.EndCycle();

        tracker.BeginCycle();
        Assert.Equal(10, tracker.Observe(Web(10, 100, kind: SampleKind.Unread))?.Id.Pid);   // kept as it was: live
        Assert.Null(tracker.Observe(Web(12, 100, 2, SampleKind.Leaving)));   // counted, then gone to another group
        Assert.True(tracker.LiveAsObserved);
        var web = tracker.EndCycle().Single();
        Assert.Equal((1, 100UL), (web.Procs, web.Memory.ResidentBytes));
        Assert.Equal(1, tracker.Count);
    }

    [Fact]
    public void An_exit_record_after_the_sample_takes_the_process_out_of_the_gauges_and_the_live_processes()
    {
        var tracker = new Tracker();
        tracker.BeginCycle();
        foreach (var pid in new[] { 10, 11, 12 }) tracker.Observe(Web(pid, 100));
        tracker.EndCycle();

        tracker.BeginCycle();
        foreach (var pid in new[] { 10, 11, 12 }) Assert.NotNull(tracker.Observe(Web(pid, 100, 2)));
        Assert.True(tracker.LiveAsObserved);
        tracker.ObserveExit(new ProcExit { Kind = ExitKind.Process, Group = "web", Pid = 11, Tracked = new ProcId(11, 7), Tasks = 1 });
        Assert.False(tracker.LiveAsObserved);
        var seen = new Seen();
        var web = tracker.EndCycle(ref seen).Single();
        Assert.Equal([10, 12], seen.Pids.Order());
        Assert.Equal((2, 200UL), (web.Procs, web.Memory.ResidentBytes));
        // Its counts stay: the three counted one tick each of user CPU in the second cycle.
        Assert.Equal(3UL, web.Counts.CpuUserTicks);

        // The next cycle starts clean.
        tracker.BeginCycle();
        Assert.True(tracker.LiveAsObserved);
        tracker.Observe(Web(10, 100, 3));
        tracker.Observe(Web(12, 100, 3));
        Assert.Equal((2, 200UL), (tracker.EndCycle().Single().Procs, tracker.EndCycle().Single().Memory.ResidentBytes));
    }

    [Fact]
    public void A_second_sample_in_one_cycle_leaves_its_latest_reading_in_the_gauges_once()
    {
        var tracker = new Tracker();
        tracker.BeginCycle();
        tracker.Observe(Web(10, 100));
        tracker.Observe(Web(12, 50));
        tracker.EndCycle();

        tracker.BeginCycle();
        Assert.NotNull(tracker.Observe(Web(10, 100, 2)));
        Assert.Null(tracker.Observe(Web(10, 300, 3)));
        tracker.Observe(Web(12, 50, 2));
        Assert.False(tracker.LiveAsObserved);
        var web = tracker.EndCycle().Single();
        Assert.Equal((2, 350UL), (web.Procs, web.Memory.ResidentBytes));
    }

    [Fact]
    public void Empty_groups_are_removed_only_when_asked()
    {
        var keeping = new LocalTracker(new CommNamer("web"));
        var removing = new LocalTracker(new CommNamer("web"), removeEmptyGroups: true);
        _source.Add(10, "web");
        keeping.Update(_source);
        removing.Update(_source);

        _source.Remove(10);
        keeping.Update(_source);
        removing.Update(_source);

        Assert.Single(keeping.Groups);
        Assert.Empty(removing.Groups);
    }

    [Fact]
    public void A_reused_pid_replaces_the_old_process()
    {
        var tracker = new LocalTracker(new CommNamer("a", "b"));
        _source.UptimeTicks = 1_000;
        _source.Add(10, "a", startTicks: 100);
        tracker.Update(_source);
        _source[10].Advance(5);
        tracker.Update(_source);

        _source.Remove(10);
        _source.UptimeTicks = 2_000;
        _source.Add(10, "b", startTicks: 1_500).Advance(9);
        tracker.Update(_source);

        Assert.Equal(All(5), Group(tracker, "a").Counts);
        Assert.Equal(0, Group(tracker, "a").Procs);
        Assert.Equal(All(9), Group(tracker, "b").Counts);
        Assert.Equal(1, tracker.Scanner.Registry.Count);
        Assert.Equal(1, tracker.Scanner.Registry.PidCount);
        Assert.Equal(new ProcId(10, 1_500), tracker.Tracker.Procs.Single().Id);
    }

    [Fact]
    public void A_counter_going_backwards_is_clamped_and_counted_never_wrapped()
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        _source.Add(10, "web").Advance(100);
        tracker.Update(_source);

        _source[10].Metrics.Counts.ReadBytes = 40;
        _source[10].Metrics.Counts.CpuUserTicks = 150;
        tracker.Update(_source);

        var counts = Group(tracker, "web").Counts;
        Assert.Equal(0UL, counts.ReadBytes);
        Assert.Equal(50UL, counts.CpuUserTicks);
        Assert.Equal(1, tracker.Tracker.BackwardsCounters);

        // The lowered value is the new base: growth from it counts.
        _source[10].Metrics.Counts.ReadBytes = 45;
        tracker.Update(_source);
        Assert.Equal(5UL, Group(tracker, "web").Counts.ReadBytes);
    }

    [Fact]
    public void A_process_whose_metrics_are_forbidden_is_ignored_counted_and_not_read_again()
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        _source.Add(10, "web").MetricsStatus = ReadStatus.PermissionDenied;

        var first = tracker.Update(_source);
        var second = tracker.Update(_source);

        Assert.Equal(1, first.PermissionErrors);
        Assert.Equal(0, second.PermissionErrors);
        Assert.Equal(1, _source.MetricReads[10]);
        Assert.Equal(0, tracker.Tracker.Count);
        Assert.Equal(1, tracker.Scanner.Registry.Count);

        _source.Remove(10);
        tracker.Update(_source);
        Assert.Equal(0, tracker.Scanner.Registry.Count);
        Assert.Equal(0, tracker.Scanner.Registry.PidCount);
    }

    [Fact]
    public void A_tracked_process_that_becomes_forbidden_is_ignored_and_its_group_keeps_its_counts()
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        _source.Add(10, "web");
        tracker.Update(_source);
        _source[10].Advance(6);
        tracker.Update(_source);

        _source[10].MetricsStatus = ReadStatus.PermissionDenied;
        var result = tracker.Update(_source);

        Assert.Equal(1, result.PermissionErrors);
        Assert.Equal(0, Group(tracker, "web").Procs);
        Assert.Equal(All(6), Group(tracker, "web").Counts);
    }

    [Fact]
    public void Vanished_processes_are_skipped_silently_and_failed_reads_are_counted_then_retried()
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        _source.Add(10, "web").StatStatus = ReadStatus.Vanished;
        _source.Add(11, "web").MetricsStatus = ReadStatus.Vanished;
        _source.Add(12, "web").MetricsStatus = ReadStatus.Failed;

        var result = tracker.Update(_source);
        Assert.Equal(2, result.Vanished);
        Assert.Equal(0, result.PermissionErrors);
        Assert.Equal(1, result.ReadErrors);
        Assert.Equal(0, tracker.Tracker.Count);

        _source[12].MetricsStatus = ReadStatus.Ok;
        tracker.Update(_source);
        Assert.Equal(1, tracker.Tracker.Count);
    }

    [Fact]
    public void A_partial_read_keeps_the_previous_io_so_no_spike_follows()
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        var proc = _source.Add(10, "web").Advance(100);
        tracker.Update(_source);

        proc.Advance(10);
        proc.MetricsStatus = ReadStatus.Partial;
        proc.Metrics.Missing = MissingParts.Io;
        var saved = proc.Metrics.Counts;
        proc.Metrics.Counts.ReadBytes = 0;
        proc.Metrics.Counts.WriteBytes = 0;
        var result = tracker.Update(_source);
        Assert.Equal(1, result.PartialErrors);
        Assert.Equal(0UL, Group(tracker, "web").Counts.ReadBytes);
        Assert.Equal(10UL, Group(tracker, "web").Counts.CpuUserTicks);

        proc.Metrics.Counts = saved;
        proc.Metrics.Missing = MissingParts.None;
        proc.MetricsStatus = ReadStatus.Ok;
        tracker.Update(_source);
        Assert.Equal(10UL, Group(tracker, "web").Counts.ReadBytes);
        Assert.Equal(0, tracker.Tracker.BackwardsCounters);
    }

    [Fact]
    public void Static_facts_are_read_once_per_process()
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        _source.Add(10, "web");
        _source.Add(11, "other");
        for (var i = 0; i < 5; i++) tracker.Update(_source);
        Assert.Equal(2, _source.StaticReads);
        Assert.False(_source.MetricReads.ContainsKey(11) && _source.MetricReads[11] > 1, "an unmatched process is not read again");
    }

    [Fact]
    public void Unmatched_children_join_their_nearest_tracked_ancestors_group()
    {
        var tracker = new LocalTracker(new CommNamer("nginx"));
        _source.Add(10, "nginx", parent: 1);
        tracker.Update(_source);

        _source.Add(20, "worker", parent: 10);
        _source.Add(30, "helper", parent: 20);
        _source.Add(40, "stranger", parent: 1);
        tracker.Update(_source);

        Assert.Equal(3, Group(tracker, "nginx").Procs);
        Assert.Single(tracker.Groups);
    }

    [Fact]
    public void A_child_listed_before_its_parent_in_the_same_scan_still_finds_it()
    {
        var tracker = new LocalTracker(new CommNamer("app"));
        // pid wrap-around: the child has the lower pid
        _source.Add(5, "child", parent: 900);
        _source.Add(900, "app", parent: 1);

        tracker.Update(_source);

        Assert.Equal(2, Group(tracker, "app").Procs);
    }

    [Fact]
    public void Without_children_attribution_unmatched_children_are_ignored()
    {
        var tracker = new LocalTracker(new CommNamer("nginx"), new ScannerOptions { Children = false });
        _source.Add(10, "nginx");
        _source.Add(20, "worker", parent: 10);
        tracker.Update(_source);
        Assert.Equal(1, Group(tracker, "nginx").Procs);
    }

    [Fact]
    public void A_child_of_an_ignored_process_is_ignored()
    {
        var tracker = new LocalTracker(new CommNamer("nginx"));
        _source.Add(10, "shell");
        tracker.Update(_source);
        _source.Add(20, "worker", parent: 10);
        tracker.Update(_source);
        Assert.Empty(tracker.Groups);
    }

    [Fact]
    public void Gauges_describe_live_members()
    {
        var tracker = new LocalTracker(new CommNamer("db"));
        var a = _source.Add(10, "db", startTicks: 300);
        a.Metrics.Memory = new ProcMemory { ResidentBytes = 100, VirtualBytes = 1000, SwapBytes = 1, ProportionalBytes = 50, ProportionalSwapBytes = 2 };
        a.Metrics.OpenFds = 10;
        a.Metrics.FdLimit = 100;
        a.Metrics.NumThreads = 3;
        var b = _source.Add(11, "db", startTicks: 200);
        b.Metrics.Memory = new ProcMemory { ResidentBytes = 20, VirtualBytes = 200, SwapBytes = 3, ProportionalBytes = 10, ProportionalSwapBytes = 4 };
        b.Metrics.OpenFds = 30;
        b.Metrics.FdLimit = 40;
        b.Metrics.NumThreads = 1;
        b.Metrics.Wchan = "do_select";

        tracker.Update(_source);

        var db = Group(tracker, "db");
        Assert.Equal(2, db.Procs);
        Assert.Equal(new ProcMemory { ResidentBytes = 120, VirtualBytes = 1200, SwapBytes = 4, ProportionalBytes = 60, ProportionalSwapBytes = 6 }, db.Memory);
        Assert.Equal(40UL, db.OpenFds);
        Assert.Equal(0.75, db.WorstFdRatio);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_002), db.OldestStartTime);
        Assert.Equal(4UL, db.NumThreads);
        Assert.Equal(2, db.States.Sleeping);
        Assert.Equal(1, db.Wchans["do_select"]);
    }

    [Fact]
    public void Threads_are_counted_once_each_and_new_threads_of_known_processes_count_in_full()
    {
        var tracker = new LocalTracker(new CommNamer("java"));
        var proc = _source.Add(10, "java").AddThread(10, "java", cpu: 100, state: (byte)'R').AddThread(11, "GC", cpu: 50);
        tracker.Update(_source);

        var java = Group(tracker, "java");
        Assert.Equal(2, java.States.Total);
        Assert.Equal(1, java.States.Running);
        Assert.Equal(1, java.Threads["GC"].Count);
        Assert.Equal(0UL, java.Threads["GC"].Counts.CpuUserTicks);

        proc.Threads[1] = proc.Threads[1] with { Counts = new ProcCounts { CpuUserTicks = 70 } };
        proc.AddThread(12, "GC", cpu: 5);
        tracker.Update(_source);

        java = Group(tracker, "java");
        Assert.Equal(2, java.Threads["GC"].Count);
        Assert.Equal(25UL, java.Threads["GC"].Counts.CpuUserTicks);
        Assert.Equal(3, java.States.Total);

        proc.Threads.RemoveAt(2);
        proc.Threads.RemoveAt(1);
        tracker.Update(_source);
        java = Group(tracker, "java");
        Assert.Equal(0, java.Threads["GC"].Count);
        Assert.Equal(25UL, java.Threads["GC"].Counts.CpuUserTicks);
    }

    [Fact]
    public void A_failed_listing_is_reported_and_drops_nobody()
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        _source.Add(10, "web");
        tracker.Update(_source);

        _source.ListingFails = true;
        var result = tracker.Update(_source);
        Assert.NotNull(result.Error);
        Assert.Equal(1, tracker.Tracker.Count);

        _source.ListingFails = false;
        _source[10].Advance(2);
        tracker.Update(_source);
        Assert.Equal(All(2), Group(tracker, "web").Counts);
    }

    [Fact]
    public void Recheck_renames_a_process_whose_cmdline_changed_the_interval_counts_in_its_old_group_and_later_work_in_the_new()
    {
        var namer = new CmdlineNamer();
        var tracker = new LocalTracker(namer, new ScannerOptions { Recheck = true });
        _source.Add(10, "python", cmdline: ["python", "starting"]);
        tracker.Update(_source);
        Assert.Equal(1, Group(tracker, "starting").Procs);

        _source[10].Cmdline[1] = "serving";
        _source[10].Advance(4);
        tracker.Update(_source);

        Assert.Equal(0, Group(tracker, "starting").Procs);
        Assert.Equal(1, Group(tracker, "serving").Procs);
        // When in the interval the cmdline changed cannot be known: it counts once, in the group it began in.
        Assert.Equal(All(4), Group(tracker, "starting").Counts);
        Assert.Equal(All(0), Group(tracker, "serving").Counts);

        _source[10].Advance(3);
        tracker.Update(_source);
        Assert.Equal(All(3), Group(tracker, "serving").Counts);
        Assert.Equal(All(4), Group(tracker, "starting").Counts);
    }

    [Fact]
    public void Recheck_with_a_time_limit_names_only_young_processes_again()
    {
        var namer = new CmdlineNamer();
        var tracker = new LocalTracker(namer, new ScannerOptions { RecheckTimeLimit = TimeSpan.FromSeconds(10) });
        _source.UptimeTicks = 10_000;
        _source.Add(10, "old", startTicks: 100, cmdline: ["old", "a"]);
        _source.Add(11, "young", startTicks: 9_900, cmdline: ["young", "a"]);
        tracker.Update(_source);
        Assert.Equal(2, Group(tracker, "a").Procs);

        _source.UptimeTicks = 10_100;
        _source[10].Cmdline[1] = "b";
        _source[11].Cmdline[1] = "b";
        tracker.Update(_source);

        // The old one (99 s) keeps its name; the young one (2 s) is named again.
        Assert.Equal(1, Group(tracker, "a").Procs);
        Assert.Equal(1, Group(tracker, "b").Procs);
        Assert.Equal(3, _source.StaticReads);
    }

    /// <summary>Names a process by its second argument.</summary>
    private sealed class CmdlineNamer : Grouping.IProcNamer
    {
        public string? Name(ProcStatic proc) => proc.Cmdline.Count > 1 ? proc.Cmdline[1] : null;
    }
}
