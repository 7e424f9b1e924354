using ProcActors.Procfs;
using ProcActors.Testing;

namespace ProcActors.Tracking.Tests;

/// <summary>
/// Counting defects found in a reading of the code (issue 8): each one lost or double-counted work. Every test here
/// failed before its fix.
/// </summary>
public sealed class CountingDefectTests
{
    private readonly FakeProcSource _source = new();

    private static GroupStats Group(LocalTracker tracker, string name) => tracker.Groups.Single(g => g.Name == name);

    [Fact]
    public void A_process_first_seen_with_io_unreadable_does_not_count_its_io_history_at_the_first_good_read()
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        var proc = _source.Add(10, "web");
        proc.Metrics.Counts.ReadBytes = 1_000_000;
        proc.Metrics.Counts.WriteBytes = 500_000;
        var history = proc.Metrics.Counts;
        // Running before the agent's first look, and its io unreadable then (EACCES, a race with setuid, ...).
        proc.MetricsStatus = ReadStatus.Partial;
        proc.Metrics.Missing = MissingParts.Io;
        proc.Metrics.Counts.ReadBytes = 0;
        proc.Metrics.Counts.WriteBytes = 0;
        tracker.Update(_source);

        proc.Metrics.Counts = history;
        proc.Metrics.Counts.ReadBytes += 30;
        proc.Metrics.Counts.WriteBytes += 7;
        proc.Metrics.Missing = MissingParts.None;
        proc.MetricsStatus = ReadStatus.Ok;
        tracker.Update(_source);
        // Its first good read is the baseline: it cannot say what happened since the first look.
        Assert.Equal(0UL, Group(tracker, "web").Counts.ReadBytes);

        proc.Metrics.Counts.ReadBytes += 5;
        proc.Metrics.Counts.WriteBytes += 3;
        tracker.Update(_source);
        Assert.Equal(5UL, Group(tracker, "web").Counts.ReadBytes);
        Assert.Equal(3UL, Group(tracker, "web").Counts.WriteBytes);
    }

    [Fact]
    public void A_new_process_with_io_unreadable_still_counts_its_whole_io_once_readable()
    {
        var tracker = new LocalTracker(new CommNamer("job"));
        _source.UptimeTicks = 5_000;
        tracker.Update(_source);

        _source.UptimeTicks = 5_500;
        var proc = _source.Add(20, "job", startTicks: 5_100);
        proc.MetricsStatus = ReadStatus.Partial;
        proc.Metrics.Missing = MissingParts.Io;
        tracker.Update(_source);

        proc.Metrics.Counts.ReadBytes = 4_096;
        proc.Metrics.Missing = MissingParts.None;
        proc.MetricsStatus = ReadStatus.Ok;
        tracker.Update(_source);
        // Born after the previous scan: everything it read is ours to count, however late we could read it.
        Assert.Equal(4_096UL, Group(tracker, "job").Counts.ReadBytes);
    }

    [Fact]
    public void A_partial_thread_read_does_not_make_the_next_full_read_count_other_threads_history_again()
    {
        var tracker = new LocalTracker(new CommNamer("java"));
        var proc = _source.Add(10, "java")
            .AddThread(10, "java", cpu: 100)
            .AddThread(11, "GC", cpu: 50);
        SetSwitches(proc, main: 10, other: 1_000);
        proc.Metrics.Counts.VoluntaryCtxSwitches = 1_010;
        tracker.Update(_source);

        // task/ unreadable this time: the reader falls back to the main thread's own switches (status).
        proc.MetricsStatus = ReadStatus.Partial;
        proc.Metrics.Missing = MissingParts.Threads;
        var threads = proc.Threads.ToList();
        proc.Threads.Clear();
        proc.Metrics.Counts.VoluntaryCtxSwitches = 12;
        var partial = tracker.Update(_source);
        Assert.Equal(1, partial.PartialErrors);

        proc.Threads.AddRange(threads);
        SetSwitches(proc, main: 12, other: 1_003);
        proc.Metrics.Counts.VoluntaryCtxSwitches = 1_015;
        proc.Metrics.Missing = MissingParts.None;
        proc.MetricsStatus = ReadStatus.Ok;
        tracker.Update(_source);

        // 5 switches happened in all; the GC thread's 1,000 of history are not work of this interval.
        Assert.Equal(5UL, Group(tracker, "java").Counts.VoluntaryCtxSwitches);
        Assert.Equal(0, tracker.Tracker.BackwardsCounters);
    }

    private static void SetSwitches(FakeProc proc, ulong main, ulong other)
    {
        proc.Threads[0] = proc.Threads[0] with { Counts = proc.Threads[0].Counts with { VoluntaryCtxSwitches = main } };
        proc.Threads[1] = proc.Threads[1] with { Counts = proc.Threads[1].Counts with { VoluntaryCtxSwitches = other } };
    }

    [Fact]
    public void A_known_process_whose_read_fails_once_keeps_its_facts_and_loses_no_interval()
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        var proc = _source.Add(10, "web", cmdline: ["web", "--port", "80"]).Advance(100);
        tracker.Update(_source);

        proc.Advance(7);
        proc.MetricsStatus = ReadStatus.Failed;
        var failed = tracker.Update(_source);
        Assert.Equal(1, failed.ReadErrors);
        Assert.Equal(1, Group(tracker, "web").Procs);

        proc.Advance(3);
        proc.MetricsStatus = ReadStatus.Ok;
        tracker.Update(_source);

        var tracked = tracker.Tracker.Procs.Single();
        Assert.Equal("web", tracked.Static?.Name);
        Assert.Equal(["web", "--port", "80"], tracked.Static?.Cmdline);
        Assert.Equal(10UL, Group(tracker, "web").Counts.CpuUserTicks);
        Assert.Equal(1, _source.StaticReads);
    }

    [Fact]
    public void A_known_process_whose_stat_fails_once_is_kept_too()
    {
        var tracker = new LocalTracker(new CommNamer("web"));
        var proc = _source.Add(10, "web").Advance(100);
        tracker.Update(_source);

        proc.Advance(7);
        proc.StatStatus = ReadStatus.Failed;
        tracker.Update(_source);
        Assert.Equal(1, Group(tracker, "web").Procs);

        proc.StatStatus = ReadStatus.Ok;
        tracker.Update(_source);
        Assert.Equal(7UL, Group(tracker, "web").Counts.CpuUserTicks);
        Assert.Equal(1, _source.StaticReads);
    }

    [Fact]
    public void A_thread_that_renames_itself_is_not_counted_in_full_again()
    {
        var tracker = new LocalTracker(new CommNamer("java"));
        var proc = _source.Add(10, "java").AddThread(10, "java", cpu: 100).AddThread(11, "pool-1", cpu: 5_000);
        tracker.Update(_source);

        proc.Threads[1] = proc.Threads[1] with { Name = "worker-1", Counts = new ProcCounts { CpuUserTicks = 5_020 } };
        tracker.Update(_source);
        var java = Group(tracker, "java");
        // 20 ticks of work in all: counted under the name it had when the interval began, none of its history.
        Assert.Equal(20UL, java.Threads["pool-1"].Counts.CpuUserTicks + java.Threads["worker-1"].Counts.CpuUserTicks);
        Assert.Equal(1, java.Threads["worker-1"].Count);
        Assert.Equal(0, java.Threads["pool-1"].Count);

        proc.Threads[1] = proc.Threads[1] with { Counts = new ProcCounts { CpuUserTicks = 5_030 } };
        tracker.Update(_source);
        java = Group(tracker, "java");
        Assert.Equal(30UL, java.Threads["pool-1"].Counts.CpuUserTicks + java.Threads["worker-1"].Counts.CpuUserTicks);
        Assert.Equal(10UL, java.Threads["worker-1"].Counts.CpuUserTicks);
    }

    /// <summary>
    /// The agent splits the trackers by group: the old group's actor and the new group's actor each see their part
    /// of a rename. Between them, no tick may be lost or counted twice.
    /// </summary>
    [Fact]
    public void A_rename_between_two_group_trackers_loses_no_interval_and_counts_nothing_twice()
    {
        var starting = new Tracker();
        var serving = new Tracker();
        var id = new ProcId(10, 1);
        static ProcMetrics Cpu(ulong ticks) => new() { Counts = new ProcCounts { CpuUserTicks = ticks } };

        starting.BeginCycle();
        starting.Observe(new ProcSample { Id = id, Group = "starting", Metrics = Cpu(100) });
        starting.EndCycle();

        // The recheck renamed it: its old group gets the reading it leaves with, its new group the same reading.
        starting.BeginCycle();
        serving.BeginCycle();
        starting.Observe(new ProcSample { Id = id, Group = "starting", Kind = SampleKind.Leaving, Metrics = Cpu(140) });
        serving.Observe(new ProcSample { Id = id, Group = "serving", Metrics = Cpu(140) });
        var startingTotals = starting.EndCycle().Single();
        var servingTotals = serving.EndCycle().Single();
        Assert.Equal(0, startingTotals.Procs);
        Assert.Equal(1, servingTotals.Procs);
        Assert.Equal(40UL, startingTotals.Counts.CpuUserTicks + servingTotals.Counts.CpuUserTicks);

        serving.BeginCycle();
        serving.Observe(new ProcSample { Id = id, Group = "serving", Metrics = Cpu(150) });
        Assert.Equal(10UL, serving.EndCycle().Single().Counts.CpuUserTicks);
    }
}
