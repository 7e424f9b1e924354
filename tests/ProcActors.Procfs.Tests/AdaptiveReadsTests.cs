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
    public void A_bound_below_one_scan_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProcfsReader(_tree.Root, new ProcfsOptions { SmapsEveryScans = 0 }));
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
