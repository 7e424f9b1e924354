using ProcActors.Procfs;
using ProcActors.Testing;

namespace ProcActors.Tracking.Tests;

/// <summary>Continuing from saved state after an agent restart.</summary>
public sealed class RestoreTests
{
    private static ProcCounts Cpu(ulong ticks) => new() { CpuUserTicks = ticks };

    private static ProcSample Sample(int pid, ulong start, ulong cpu, string group = "web") =>
        new() { Id = new ProcId(pid, start), Group = group, Metrics = new ProcMetrics { Counts = Cpu(cpu) } };

    [Fact]
    public void A_process_still_running_counts_what_it_did_while_the_agent_was_down_once()
    {
        var tracker = new Tracker();
        tracker.Restore("web", Cpu(500), new Dictionary<string, ProcCounts>(), [new(new ProcId(10, 7), Cpu(1_000))]);

        tracker.BeginCycle();
        tracker.Observe(Sample(10, 7, cpu: 1_300));
        var web = tracker.EndCycle().Single();
        Assert.Equal(800UL, web.Counts.CpuUserTicks);

        tracker.BeginCycle();
        tracker.Observe(Sample(10, 7, cpu: 1_350));
        Assert.Equal(850UL, tracker.EndCycle().Single().Counts.CpuUserTicks);
    }

    [Fact]
    public void A_process_that_exited_meanwhile_is_dropped_and_its_groups_counters_stay()
    {
        var tracker = new Tracker();
        tracker.Restore("db", Cpu(500), new Dictionary<string, ProcCounts>(), [new(new ProcId(20, 7), Cpu(1_000))]);

        tracker.BeginCycle();
        var db = tracker.EndCycle().Single();
        Assert.Equal(0, db.Procs);
        Assert.Equal(500UL, db.Counts.CpuUserTicks);

        // The pid comes back as another process: it is new, not the one saved.
        tracker.BeginCycle();
        tracker.Observe(Sample(20, 9, cpu: 4_000, group: "db"));
        Assert.Equal(500UL, tracker.EndCycle().Single().Counts.CpuUserTicks);
    }

    [Fact]
    public void A_pid_reused_with_another_start_time_is_not_mistaken_for_the_saved_process()
    {
        var tracker = new Tracker();
        tracker.Restore("web", default, new Dictionary<string, ProcCounts>(), [new(new ProcId(10, 7), Cpu(1_000))]);
        tracker.BeginCycle();
        tracker.Observe(Sample(10, 8, cpu: 3_000));
        Assert.Equal(0UL, tracker.EndCycle().Single().Counts.CpuUserTicks);
    }

    [Fact]
    public void Restored_thread_totals_continue_and_the_threads_history_is_not_counted_again()
    {
        var tracker = new Tracker();
        tracker.Restore("java", default, new Dictionary<string, ProcCounts> { ["GC"] = Cpu(40) }, [new(new ProcId(10, 7), Cpu(1_000))]);
        var sample = Sample(10, 7, cpu: 1_100, group: "java");
        sample.Metrics.Threads = [new ThreadSample { Tid = 11, Name = "GC", Counts = Cpu(900) }];
        sample.Metrics.ThreadCount = 1;

        tracker.BeginCycle();
        tracker.Observe(sample);
        var java = tracker.EndCycle().Single();

        Assert.Equal(40UL, java.Threads["GC"].Counts.CpuUserTicks);
        Assert.Equal(1, java.Threads["GC"].Count);
        Assert.Equal(100UL, java.Counts.CpuUserTicks);
    }

    [Fact]
    public void A_process_born_while_the_agent_was_down_counts_in_full_after_resuming()
    {
        var source = new FakeProcSource { UptimeTicks = 10_000 };
        var tracker = new LocalTracker(new CommNamer("job"));
        tracker.Scanner.Resume(previousUptimeTicks: 9_000);
        source.Add(30, "job", startTicks: 9_500).Advance(70);
        source.Add(31, "job", startTicks: 8_000).Advance(70);

        tracker.Update(source);

        Assert.Equal(70UL, tracker.Groups.Single().Counts.CpuUserTicks);
    }
}
