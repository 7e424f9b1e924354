using ProcActors.Testing;

namespace ProcActors.Procfs.Tests;

/// <summary>The bounds of the adaptive reads (ReadMemory): what is re-read when, and that a read value is exact.</summary>
public sealed class AdaptiveReadsTests : IDisposable
{
    private static readonly ProcfsOptions Adaptive = new() { SmapsEveryScans = 3, LimitsEveryScans = 3, ReuseUnchangedWchan = true };
    private readonly FixtureTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private static ProcMetrics Read(ProcfsReader reader, int pid)
    {
        Assert.True(reader.BeginScan(out _, out var error), error);
        var metrics = new ProcMetrics();
        var found = false;
        while (reader.MoveNext())
        {
            if (reader.Current.Pid != pid) continue;
            Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));
            found = true;
        }
        Assert.True(found, $"pid {pid} was not listed");
        return metrics;
    }

    private static string? MainWchan(in ProcMetrics metrics) => metrics.ThreadCount == 0 ? metrics.Wchan : Wchan(metrics, 10);

    private static string? Wchan(in ProcMetrics metrics, int tid) =>
        metrics.Threads!.AsSpan(0, metrics.ThreadCount).ToArray().Single(t => t.Tid == tid).Wchan;

    [Fact]
    public void Smaps_is_reread_when_the_resident_size_changes_and_else_after_the_bound()
    {
        _tree.AddProcess(10, rss: 100, pssKb: 50);
        var reader = new ProcfsReader(_tree.Root, Adaptive);
        Assert.Equal(50UL * 1024, Read(reader, 10).Memory.ProportionalBytes);

        // Only the proportional size moves (another process unmapped shared pages): kept until the bound.
        _tree.AddProcess(10, rss: 100, pssKb: 70);
        Assert.Equal(50UL * 1024, Read(reader, 10).Memory.ProportionalBytes);
        Assert.Equal(50UL * 1024, Read(reader, 10).Memory.ProportionalBytes);
        Assert.Equal(70UL * 1024, Read(reader, 10).Memory.ProportionalBytes); // third scan since the read

        // The resident size moves: read at once.
        _tree.AddProcess(10, rss: 120, pssKb: 90);
        Assert.Equal(90UL * 1024, Read(reader, 10).Memory.ProportionalBytes);

        // Swap moves: read at once too.
        _tree.AddProcess(10, rss: 120, swapKb: 8, pssKb: 95);
        Assert.Equal(95UL * 1024, Read(reader, 10).Memory.ProportionalBytes);
    }

    [Fact]
    public void Limits_are_reread_after_the_bound()
    {
        _tree.AddProcess(10, fdLimit: "1024");
        var reader = new ProcfsReader(_tree.Root, Adaptive);
        Assert.Equal(1024UL, Read(reader, 10).FdLimit);

        _tree.AddProcess(10, fdLimit: "4096");
        Assert.Equal(1024UL, Read(reader, 10).FdLimit);
        Assert.Equal(1024UL, Read(reader, 10).FdLimit);
        Assert.Equal(4096UL, Read(reader, 10).FdLimit);
    }

    [Fact]
    public void Wchan_is_kept_only_while_the_task_has_not_switched_or_changed_state()
    {
        _tree.AddProcess(10, state: 'S', voluntary: 5, wchan: "ep_poll");
        var reader = new ProcfsReader(_tree.Root, Adaptive);
        Assert.Equal("ep_poll", MainWchan(Read(reader, 10)));

        // The file changes but the task has not switched since: it cannot have moved (a fixture can lie, the kernel cannot).
        _tree.AddProcess(10, state: 'S', voluntary: 5, wchan: "do_select");
        Assert.Equal("ep_poll", MainWchan(Read(reader, 10)));

        // It blocked again: read.
        _tree.AddProcess(10, state: 'S', voluntary: 6, wchan: "do_select");
        Assert.Equal("do_select", MainWchan(Read(reader, 10)));

        // Same switches, other state: read.
        _tree.AddProcess(10, state: 'D', voluntary: 6, wchan: "io_schedule");
        Assert.Equal("io_schedule", MainWchan(Read(reader, 10)));
    }

    [Fact]
    public void Each_thread_keeps_its_own_wchan()
    {
        _tree.AddProcess(20, threads: [new FixtureThread(20, "main", 'S', Voluntary: 1, Wchan: "ep_poll"), new FixtureThread(21, "io", 'S', Voluntary: 1, Wchan: "futex_wait_queue")]);
        var reader = new ProcfsReader(_tree.Root, Adaptive);
        var first = Read(reader, 20);
        Assert.Equal("ep_poll", Wchan(first, 20));
        Assert.Equal("futex_wait_queue", Wchan(first, 21));

        _tree.AddProcess(20, threads: [new FixtureThread(20, "main", 'S', Voluntary: 1, Wchan: "do_select"), new FixtureThread(21, "io", 'S', Voluntary: 2, Wchan: "io_schedule")]);
        var second = Read(reader, 20);
        Assert.Equal("ep_poll", Wchan(second, 20));
        Assert.Equal("io_schedule", Wchan(second, 21));
    }

    private static readonly ProcfsOptions Idle = new() { IdleEveryScans = 3, IdleRuleOnAnyTree = true };

    [Fact]
    public void A_process_that_has_not_run_keeps_its_status_io_and_fds_until_the_bound()
    {
        _tree.AddProcess(10, runNs: 5_000, voluntary: 5, nonvoluntary: 1, readBytes: 100, writeBytes: 10, fds: 2);
        var reader = new ProcfsReader(_tree.Root, Idle);
        var first = Read(reader, 10);
        Assert.Equal((5UL, 100UL, 2UL), (first.Counts.VoluntaryCtxSwitches, first.Counts.ReadBytes, first.OpenFds));
        Assert.Equal(0, reader.IdleReuses);

        // The files change but its CPU time and stat do not (a fixture can lie, the kernel cannot): kept until the bound.
        _tree.AddProcess(10, runNs: 5_000, voluntary: 9, nonvoluntary: 2, readBytes: 300, writeBytes: 30, fds: 4);
        for (var scan = 2; scan <= 3; scan++)
        {
            var kept = Read(reader, 10);
            Assert.Equal((5UL, 1UL, 100UL, 10UL, 2UL), (kept.Counts.VoluntaryCtxSwitches, kept.Counts.NonvoluntaryCtxSwitches, kept.Counts.ReadBytes, kept.Counts.WriteBytes, kept.OpenFds));
        }
        Assert.Equal(2, reader.IdleReuses);
        var bound = Read(reader, 10); // third scan since the read
        Assert.Equal((9UL, 2UL, 300UL, 30UL, 4UL), (bound.Counts.VoluntaryCtxSwitches, bound.Counts.NonvoluntaryCtxSwitches, bound.Counts.ReadBytes, bound.Counts.WriteBytes, bound.OpenFds));
    }

    [Theory]
    [InlineData("ran")]          // its CPU time moved
    [InlineData("ticks")]        // stat's CPU moved (the time cannot lag it: both would, but a counter never waits)
    [InlineData("faults")]
    [InlineData("running")]      // running now: its time is brought up to date only when it stops
    [InlineData("threaded")]     // schedstat is the main thread's alone
    [InlineData("no schedstat")] // no way to tell
    public void A_process_that_may_have_run_is_read_at_once(string change)
    {
        _tree.AddProcess(10, runNs: 5_000, voluntary: 5, readBytes: 100, fds: 2);
        var reader = new ProcfsReader(_tree.Root, Idle);
        Read(reader, 10);

        switch (change)
        {
            case "ran": _tree.AddProcess(10, runNs: 5_001, voluntary: 6, readBytes: 200, fds: 3); break;
            case "ticks": _tree.AddProcess(10, runNs: 5_000, utime: 1, voluntary: 6, readBytes: 200, fds: 3); break;
            case "faults": _tree.AddProcess(10, runNs: 5_000, minflt: 1, voluntary: 6, readBytes: 200, fds: 3); break;
            case "running": _tree.AddProcess(10, runNs: 5_000, state: 'R', voluntary: 6, readBytes: 200, fds: 3); break;
            case "threaded": _tree.AddProcess(10, runNs: 5_000, voluntary: 6, readBytes: 200, fds: 3, numThreads: 2); break;
            default: _tree.AddProcess(10, voluntary: 6, readBytes: 200, fds: 3); break;
        }
        var metrics = Read(reader, 10);
        Assert.Equal(0, reader.IdleReuses);
        Assert.Equal((6UL, 200UL, 3UL), (metrics.Counts.VoluntaryCtxSwitches, metrics.Counts.ReadBytes, metrics.OpenFds));
    }

    [Fact]
    public void Each_thread_that_has_not_run_keeps_its_io_and_switches_and_one_that_ran_is_read()
    {
        FixtureThread[] Threads(ulong mainNs, ulong mainVoluntary, ulong mainRead, ulong ioNs, ulong ioVoluntary, ulong ioRead) =>
        [
            new(20, "main", 'S', Voluntary: mainVoluntary, ReadBytes: mainRead, RunNs: mainNs),
            new(21, "io", 'S', Voluntary: ioVoluntary, ReadBytes: ioRead, RunNs: ioNs),
        ];
        ThreadSample Thread(in ProcMetrics metrics, int tid) => metrics.Threads!.AsSpan(0, metrics.ThreadCount).ToArray().Single(t => t.Tid == tid);

        _tree.AddProcess(20, threads: Threads(100, 1, 10, 200, 2, 20));
        var reader = new ProcfsReader(_tree.Root, Idle);
        Read(reader, 20);
        Assert.Equal(0, reader.IdleReuses);

        // The main thread ran (its time moved), the io thread did not (its files lie, as a fixture may).
        _tree.AddProcess(20, threads: Threads(150, 3, 30, 200, 9, 90));
        var second = Read(reader, 20);
        Assert.Equal((3UL, 30UL), (Thread(second, 20).Counts.VoluntaryCtxSwitches, Thread(second, 20).Counts.ReadBytes));
        Assert.Equal((2UL, 20UL), (Thread(second, 21).Counts.VoluntaryCtxSwitches, Thread(second, 21).Counts.ReadBytes));
        Assert.Equal(1, reader.IdleReuses);
        // The process's switches are its threads' sum, the kept thread's included.
        Assert.Equal(5UL, second.Counts.VoluntaryCtxSwitches);

        Read(reader, 20);
        Assert.Equal(3, reader.IdleReuses); // both kept now: the main thread's read of scan 2 holds
        var bound = Read(reader, 20); // third scan since the io thread was read
        Assert.Equal((9UL, 90UL), (Thread(bound, 21).Counts.VoluntaryCtxSwitches, Thread(bound, 21).Counts.ReadBytes));
    }

    [Fact]
    public void On_a_tree_that_is_not_procfs_a_process_is_read_every_scan_whatever_its_schedstat_says() =>
        AssertAnIdleProcessIsReadAgain(new ProcfsOptions { IdleEveryScans = 3 });

    [Fact]
    public void Without_the_option_a_process_that_has_not_run_is_read_every_scan() => AssertAnIdleProcessIsReadAgain(Adaptive);

    /// <summary>A process whose schedstat time did not move, and whose io did, is read again at the next scan.</summary>
    private void AssertAnIdleProcessIsReadAgain(ProcfsOptions options)
    {
        _tree.AddProcess(10, runNs: 5_000, voluntary: 5, readBytes: 100);
        var reader = new ProcfsReader(_tree.Root, options);
        Read(reader, 10);
        _tree.AddProcess(10, runNs: 5_000, voluntary: 6, readBytes: 200);
        Assert.Equal(200UL, Read(reader, 10).Counts.ReadBytes);
        Assert.Equal(0, reader.IdleReuses);
    }

    [Fact]
    public void A_new_process_with_a_reused_pid_is_read_in_full()
    {
        _tree.AddProcess(10, starttime: 1000, rss: 100, pssKb: 50, fdLimit: "1024");
        var reader = new ProcfsReader(_tree.Root, Adaptive);
        Read(reader, 10);

        _tree.DeleteProcess(10);
        _tree.AddProcess(10, starttime: 2000, rss: 100, pssKb: 60, fdLimit: "2048");
        var metrics = Read(reader, 10);
        Assert.Equal(60UL * 1024, metrics.Memory.ProportionalBytes);
        Assert.Equal(2048UL, metrics.FdLimit);
    }

    [Fact]
    public void Without_adaptive_reads_every_file_is_read_every_scan()
    {
        _tree.AddProcess(10, rss: 100, pssKb: 50, fdLimit: "1024", voluntary: 5, wchan: "ep_poll");
        var reader = new ProcfsReader(_tree.Root, new ProcfsOptions());
        Read(reader, 10);

        _tree.AddProcess(10, rss: 100, pssKb: 70, fdLimit: "4096", voluntary: 5, wchan: "do_select");
        var metrics = Read(reader, 10);
        Assert.Equal(70UL * 1024, metrics.Memory.ProportionalBytes);
        Assert.Equal(4096UL, metrics.FdLimit);
        Assert.Equal("do_select", metrics.Wchan);
    }

    [Fact]
    public void A_bound_below_one_scan_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProcfsReader(_tree.Root, new ProcfsOptions { SmapsEveryScans = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProcfsReader(_tree.Root, new ProcfsOptions { IdleEveryScans = 0 }));
    }
}

public sealed class ReadMemoryTests
{
    [Fact]
    public void A_process_not_seen_in_a_scan_is_forgotten_at_its_end()
    {
        var memory = new ReadMemory();
        var stays = new ProcId(1, 100);
        var exits = new ProcId(2, 200);
        memory.BeginScan();
        memory.For(stays).FdLimit = 1024;
        memory.For(exits);
        memory.EndScan();
        Assert.Equal(2, memory.Count);

        memory.BeginScan();
        Assert.Equal(1024UL, memory.For(stays).FdLimit);
        memory.EndScan();

        Assert.Equal(1, memory.Count);
        memory.BeginScan();
        Assert.Equal(0UL, memory.For(exits).FdLimit); // a fresh entry: nothing of the exited process is kept
        memory.EndScan();
    }
}
