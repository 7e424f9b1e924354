using ProcActors.Testing;
using ProcActors.Procfs.Tests.Support;

namespace ProcActors.Procfs.Tests;

public sealed class ProcfsReaderTests : IDisposable
{
    private readonly FixtureTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private ProcfsReader Reader(ProcfsOptions? options = null) => new(_tree.Root, options);

    /// <summary>Starts a scan and moves to the process; fails the test if it is not listed.</summary>
    private static void MoveTo(ProcfsReader reader, int pid)
    {
        Assert.True(reader.BeginScan(out _, out var error), error);
        while (reader.MoveNext())
        {
            if (reader.Current.Pid == pid) return;
        }
        Assert.Fail($"pid {pid} was not listed");
    }

    private static List<(ProcId Id, ReadStatus Status)> ScanAll(ProcfsReader reader)
    {
        Assert.True(reader.BeginScan(out _, out var error), error);
        var listed = new List<(ProcId, ReadStatus)>();
        while (reader.MoveNext()) listed.Add((reader.Current, reader.CurrentStatus));
        return listed;
    }

    private static ThreadSample Thread(in ProcMetrics metrics, int tid)
    {
        Assert.NotNull(metrics.Threads);
        foreach (var thread in metrics.Threads.AsSpan(0, metrics.ThreadCount))
        {
            if (thread.Tid == tid) return thread;
        }
        Assert.Fail($"thread {tid} was not read");
        return default;
    }

    [Fact]
    public void Reads_the_system_facts_of_the_tree()
    {
        var reader = Reader();

        Assert.Equal(FixtureTree.DefaultBootTime, reader.System.BootTimeSeconds);
        Assert.Equal(Environment.SystemPageSize, reader.System.PageSize);
        Assert.True(reader.System.ClockTicksPerSecond > 0);
        Assert.Equal(_tree.Root, reader.Root);
    }

    [Fact]
    public void BeginScan_reports_the_uptime_in_ticks()
    {
        var reader = Reader();

        Assert.True(reader.BeginScan(out var start, out var error));

        Assert.Null(error);
        var hz = (ulong)reader.System.ClockTicksPerSecond;
        Assert.Equal(2308 * hz + 61 * hz / 100, start.UptimeTicks);
    }

    [Fact]
    public void BeginScan_without_an_uptime_file_still_lists_processes()
    {
        using var tree = new FixtureTree(uptime: null);
        tree.AddProcess(10);
        var reader = new ProcfsReader(tree.Root);

        Assert.True(reader.BeginScan(out var start, out _));

        Assert.Null(start.UptimeTicks);
        Assert.True(reader.MoveNext());
        Assert.Equal(10, reader.Current.Pid);
    }

    [Fact]
    public void BeginScan_lists_exactly_the_numeric_folders()
    {
        _tree.AddProcess(1, "init");
        _tree.AddProcess(42, "worker");
        _tree.AddProcess(4194304, "last");
        _tree.AddFolder("sys");
        _tree.AddFolder("net");
        _tree.AddFolder("self1");
        _tree.AddFolder("12a");
        _tree.AddFolder("0");
        _tree.AddFolder("-5");
        _tree.AddFolder("1234567890123");
        var reader = Reader();

        var listed = ScanAll(reader);

        Assert.Equal([1, 42, 4194304], listed.Select(p => p.Id.Pid).Order());
        Assert.All(listed, p => Assert.Equal(ReadStatus.Ok, p.Status));
    }

    [Fact]
    public void An_empty_tree_lists_nothing()
    {
        var reader = Reader();

        Assert.True(reader.BeginScan(out _, out var error));

        Assert.Null(error);
        Assert.False(reader.MoveNext());
    }

    [Fact]
    public void A_root_that_does_not_exist_cannot_be_scanned()
    {
        var missing = Path.Combine(_tree.Root, "no-such-proc");
        var reader = new ProcfsReader(missing);

        Assert.False(reader.BeginScan(out var start, out var error));

        Assert.NotNull(error);
        Assert.Contains(missing, error, StringComparison.Ordinal);
        Assert.Contains("errno 2", error, StringComparison.Ordinal);
        Assert.Null(start.UptimeTicks);
        Assert.False(reader.MoveNext());
        Assert.Equal(0L, reader.System.BootTimeSeconds);
    }

    [Fact]
    public void A_second_scan_starts_over_and_sees_new_and_removed_processes()
    {
        _tree.AddProcess(5);
        _tree.AddProcess(6);
        var reader = Reader();
        Assert.Equal([5, 6], ScanAll(reader).Select(p => p.Id.Pid).Order());

        _tree.DeleteProcess(5);
        _tree.AddProcess(7);

        Assert.Equal([6, 7], ScanAll(reader).Select(p => p.Id.Pid).Order());
    }

    [Fact]
    public void MoveNext_gives_the_identity_and_parent()
    {
        _tree.AddProcess(321, "nginx", starttime: 231999, ppid: 17);
        var reader = Reader();

        MoveTo(reader, 321);

        Assert.Equal(new ProcId(321, 231999), reader.Current);
        Assert.Equal(ReadStatus.Ok, reader.CurrentStatus);
        Assert.Equal(17, reader.CurrentParentPid);
    }

    [Fact]
    public void A_garbage_stat_fails_the_process_and_not_the_scan()
    {
        _tree.AddProcess(10);
        _tree.AddProcess(11);
        _tree.AddProcess(12);
        _tree.WriteFile(11, "stat", "this is not a stat line\n");
        var reader = Reader();

        var listed = ScanAll(reader).OrderBy(p => p.Id.Pid).ToList();

        Assert.Equal(
            [(new ProcId(10, 1000), ReadStatus.Ok), (new ProcId(11, 0), ReadStatus.Failed), (new ProcId(12, 1000), ReadStatus.Ok)],
            listed);
    }

    [Fact]
    public void A_missing_stat_means_the_process_vanished()
    {
        _tree.AddProcess(10);
        _tree.DeleteFile(10, "stat");
        var reader = Reader();

        MoveTo(reader, 10);

        Assert.Equal(ReadStatus.Vanished, reader.CurrentStatus);
        Assert.Equal(new ProcId(10, 0), reader.Current);
    }

    [Fact]
    public void ReadMetrics_reads_every_figure()
    {
        _tree.AddProcess(
            500, "server", starttime: 7777, utime: 1234, stime: 567, minflt: 89012, majflt: 345, state: 'R', ppid: 1,
            vsize: 2990080, rss: 421, swapKb: 64, voluntary: 9876, nonvoluntary: 54, readBytes: 151552, writeBytes: 1064960,
            fdLimit: "20000", pssKb: 495, swapPssKb: 16, wchan: "0", fds: 7,
            threads: [new FixtureThread(500, "server", 'R')]);
        var reader = Reader();
        MoveTo(reader, 500);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(MissingParts.None, metrics.Missing);
        Assert.Equal(1234UL, metrics.Counts.CpuUserTicks);
        Assert.Equal(567UL, metrics.Counts.CpuSystemTicks);
        Assert.Equal(89012UL, metrics.Counts.MinorPageFaults);
        Assert.Equal(345UL, metrics.Counts.MajorPageFaults);
        Assert.Equal(151552UL, metrics.Counts.ReadBytes);
        Assert.Equal(1064960UL, metrics.Counts.WriteBytes);
        Assert.Equal(9876UL, metrics.Counts.VoluntaryCtxSwitches);
        Assert.Equal(54UL, metrics.Counts.NonvoluntaryCtxSwitches);
        Assert.Equal(421UL * (ulong)Environment.SystemPageSize, metrics.Memory.ResidentBytes);
        Assert.Equal(2990080UL, metrics.Memory.VirtualBytes);
        Assert.Equal(64UL * 1024, metrics.Memory.SwapBytes);
        Assert.Equal(495UL * 1024, metrics.Memory.ProportionalBytes);
        Assert.Equal(16UL * 1024, metrics.Memory.ProportionalSwapBytes);
        Assert.Equal(7UL, metrics.OpenFds);
        Assert.Equal(20000UL, metrics.FdLimit);
        Assert.Equal(1U, metrics.NumThreads);
        Assert.Equal((byte)'R', metrics.State);
        Assert.Null(metrics.Wchan);
        // A single-threaded process is its own only thread: no thread samples, its state counted once.
        Assert.Equal(0, metrics.ThreadCount);
        Assert.Null(metrics.Threads);
        Assert.Equal(new ThreadStates { Running = 1 }, metrics.States);
    }

    [Fact]
    public void A_single_threaded_process_does_not_read_its_task_folder()
    {
        _tree.AddProcess(501, state: 'D');
        _tree.WriteFile(501, "task/501/stat", "garbage");
        _tree.WriteFile(501, "task/501/status", "garbage");
        var reader = Reader();
        MoveTo(reader, 501);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(1U, metrics.NumThreads);
        Assert.Equal(0, metrics.ThreadCount);
        Assert.Null(metrics.Threads);
        Assert.Equal(new ThreadStates { Waiting = 1 }, metrics.States);
    }

    [Fact]
    public void ReadMetrics_reads_every_thread_and_counts_each_state_once()
    {
        _tree.AddProcess(600, "java", state: 'S', utime: 1000, stime: 100, wchan: "futex_wait_queue", threads:
        [
            new FixtureThread(600, "java", 'S', Utime: 10, Stime: 1, MinorFaults: 100, MajorFaults: 2, ReadBytes: 4096, WriteBytes: 8192,
                Voluntary: 30, Nonvoluntary: 3, Wchan: "futex_wait_queue"),
            new FixtureThread(601, "GC Thread#0", 'R', Utime: 20, Stime: 2, MinorFaults: 200, MajorFaults: 4, ReadBytes: 0, WriteBytes: 512,
                Voluntary: 40, Nonvoluntary: 4, Wchan: "0"),
            new FixtureThread(602, "C2 CompilerThre", 'D', Utime: 30, Stime: 3, Wchan: "io_schedule"),
            new FixtureThread(603, "VM Periodic Tas", 'S', Utime: 40, Stime: 4, Wchan: "hrtimer_nanosleep"),
            new FixtureThread(604, "zombie", 'Z'),
            new FixtureThread(605, "stopped", 'T'),
        ]);
        var reader = Reader();
        MoveTo(reader, 600);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(6U, metrics.NumThreads);
        Assert.Equal(6, metrics.ThreadCount);
        Assert.Equal(new ThreadStates { Running = 1, Sleeping = 2, Waiting = 1, Zombie = 1, Other = 1 }, metrics.States);
        Assert.Equal(6, metrics.States.Total);
        // With its threads read, the process's wchan is its main thread's, read there.
        Assert.Null(metrics.Wchan);
        Assert.Equal("futex_wait_queue", Thread(metrics, 600).Wchan);
        Assert.Equal(1000UL, metrics.Counts.CpuUserTicks);

        var main = Thread(metrics, 600);
        Assert.Equal("java", main.Name);
        Assert.Equal((byte)'S', main.State);
        Assert.Equal("futex_wait_queue", main.Wchan);
        Assert.Equal(10UL, main.Counts.CpuUserTicks);
        Assert.Equal(1UL, main.Counts.CpuSystemTicks);
        Assert.Equal(100UL, main.Counts.MinorPageFaults);
        Assert.Equal(2UL, main.Counts.MajorPageFaults);
        Assert.Equal(4096UL, main.Counts.ReadBytes);
        Assert.Equal(8192UL, main.Counts.WriteBytes);
        Assert.Equal(30UL, main.Counts.VoluntaryCtxSwitches);
        Assert.Equal(3UL, main.Counts.NonvoluntaryCtxSwitches);

        var gc = Thread(metrics, 601);
        Assert.Equal("GC Thread#0", gc.Name);
        Assert.Equal((byte)'R', gc.State);
        Assert.Null(gc.Wchan);
        Assert.Equal(20UL, gc.Counts.CpuUserTicks);
        Assert.Equal(2UL, gc.Counts.CpuSystemTicks);
        Assert.Equal(200UL, gc.Counts.MinorPageFaults);
        Assert.Equal(4UL, gc.Counts.MajorPageFaults);
        Assert.Equal(0UL, gc.Counts.ReadBytes);
        Assert.Equal(512UL, gc.Counts.WriteBytes);
        Assert.Equal(40UL, gc.Counts.VoluntaryCtxSwitches);
        Assert.Equal(4UL, gc.Counts.NonvoluntaryCtxSwitches);

        Assert.Equal("C2 CompilerThre", Thread(metrics, 602).Name);
        Assert.Equal("io_schedule", Thread(metrics, 602).Wchan);
        Assert.Equal("hrtimer_nanosleep", Thread(metrics, 603).Wchan);
        Assert.Equal(40UL, Thread(metrics, 603).Counts.CpuUserTicks);
    }

    [Fact]
    public void Thread_names_and_wchans_are_interned_across_reads()
    {
        _tree.AddProcess(700, "pool", wchan: "ep_poll", threads:
        [
            new FixtureThread(700, "pool", Wchan: "ep_poll"),
            new FixtureThread(701, "worker", Wchan: "ep_poll"),
            new FixtureThread(702, "worker", Wchan: "ep_poll"),
        ]);
        var reader = Reader();
        MoveTo(reader, 700);
        var first = new ProcMetrics();
        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref first));
        var name = Thread(first, 701).Name;
        var wchan = Thread(first, 701).Wchan;

        Assert.Same(name, Thread(first, 702).Name);
        Assert.Same(wchan, Thread(first, 700).Wchan);

        MoveTo(reader, 700);
        var second = new ProcMetrics();
        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref second));
        Assert.Same(name, Thread(second, 702).Name);
        Assert.Same(wchan, Thread(second, 700).Wchan);
    }

    [Fact]
    public void Many_threads_are_all_read()
    {
        var threads = Enumerable.Range(1000, 150).Select(tid => new FixtureThread(tid, $"t{tid}", tid % 2 == 0 ? 'S' : 'R', Utime: (ulong)tid)).ToArray();
        _tree.AddProcess(1000, "t1000", threads: threads);
        var reader = Reader();
        MoveTo(reader, 1000);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(150, metrics.ThreadCount);
        Assert.Equal(new ThreadStates { Sleeping = 75, Running = 75 }, metrics.States);
        Assert.Equal(Enumerable.Range(1000, 150), metrics.Threads!.Take(150).Select(t => t.Tid).Order());
        Assert.All(metrics.Threads!.Take(150), t => Assert.Equal((ulong)t.Tid, t.Counts.CpuUserTicks));
        Assert.All(metrics.Threads!.Take(150), t => Assert.Equal($"t{t.Tid}", t.Name));
    }

    [Fact]
    public void ReadMetrics_resets_what_the_previous_process_left_in_the_struct()
    {
        _tree.AddProcess(800, "big", readBytes: 100, fds: 3, pssKb: 9, swapKb: 5, wchan: "do_wait",
            threads: [new FixtureThread(800, "big", Wchan: "do_wait"), new FixtureThread(801, "big2")]);
        _tree.AddProcess(801, "small");
        _tree.WriteFile(801, "io", "garbage");
        var reader = new ProcfsReader(_tree.Root, new ProcfsOptions { Wchan = true });
        var metrics = new ProcMetrics();
        MoveTo(reader, 800);
        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        MoveTo(reader, 801);
        Assert.Equal(ReadStatus.Partial, reader.ReadMetrics(ref metrics));

        Assert.Equal(MissingParts.Io, metrics.Missing);
        Assert.Equal(0UL, metrics.Counts.ReadBytes);
        Assert.Equal(0UL, metrics.OpenFds);
        Assert.Equal(0UL, metrics.Memory.ProportionalBytes);
        Assert.Equal(0UL, metrics.Memory.SwapBytes);
        Assert.Null(metrics.Wchan);
        Assert.Equal(0, metrics.ThreadCount);
        Assert.Null(metrics.Threads);
        Assert.Equal(new ThreadStates { Sleeping = 1 }, metrics.States);
    }

    [Fact]
    public void A_full_read_after_a_partial_one_reports_nothing_missing()
    {
        _tree.AddProcess(802, fds: 1);
        _tree.AddProcess(803, fds: 2);
        _tree.DeleteFile(802, "limits");
        var reader = Reader();
        var metrics = new ProcMetrics();
        MoveTo(reader, 802);
        Assert.Equal(ReadStatus.Partial, reader.ReadMetrics(ref metrics));
        Assert.Equal(MissingParts.FdLimit, metrics.Missing);

        MoveTo(reader, 803);

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));
        Assert.Equal(MissingParts.None, metrics.Missing);
        Assert.Equal(1024UL, metrics.FdLimit);
        Assert.Equal(2UL, metrics.OpenFds);
    }

    [Fact]
    public void Unlimited_open_files_is_the_largest_limit()
    {
        _tree.AddProcess(900, fdLimit: "unlimited");
        var reader = Reader();
        MoveTo(reader, 900);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(ulong.MaxValue, metrics.FdLimit);
    }

    [Fact]
    public void A_negative_rss_is_no_resident_memory()
    {
        _tree.AddProcess(901, rss: -1);
        var reader = Reader();
        MoveTo(reader, 901);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(0UL, metrics.Memory.ResidentBytes);
    }

    [Fact]
    public void A_process_without_SwapPss_and_VmSwap_reads_zero_swap()
    {
        _tree.AddProcess(902, swapKb: null, swapPssKb: null, pssKb: 3);
        var reader = Reader();
        MoveTo(reader, 902);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(0UL, metrics.Memory.SwapBytes);
        Assert.Equal(0UL, metrics.Memory.ProportionalSwapBytes);
        Assert.Equal(3UL * 1024, metrics.Memory.ProportionalBytes);
    }

    [Fact]
    public void A_kernel_thread_is_read_in_full_without_its_smaps_rollup()
    {
        _tree.AddProcess(2, "kthreadd", ppid: 0, kernelThread: true, voluntary: 57);
        var reader = Reader();
        MoveTo(reader, 2);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(0UL, metrics.Memory.ProportionalBytes);
        Assert.Equal(0UL, metrics.Memory.SwapBytes);
        Assert.Equal(57UL, metrics.Counts.VoluntaryCtxSwitches);
    }

    [Theory]
    [InlineData("io", MissingParts.Io)]
    [InlineData("limits", MissingParts.FdLimit)]
    [InlineData("smaps_rollup", MissingParts.Smaps)]
    public void A_missing_secondary_file_makes_the_read_partial_and_the_rest_valid(string file, MissingParts missing)
    {
        _tree.AddProcess(1100, utime: 11, voluntary: 22, readBytes: 33, fdLimit: "44", pssKb: 55, fds: 6);
        _tree.DeleteFile(1100, file);
        var reader = Reader();
        MoveTo(reader, 1100);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Partial, reader.ReadMetrics(ref metrics));

        Assert.Equal(missing, metrics.Missing);
        Assert.Equal(11UL, metrics.Counts.CpuUserTicks);
        Assert.Equal(22UL, metrics.Counts.VoluntaryCtxSwitches);
        Assert.Equal(file == "io" ? 0UL : 33UL, metrics.Counts.ReadBytes);
        Assert.Equal(file == "limits" ? 0UL : 44UL, metrics.FdLimit);
        Assert.Equal(file == "smaps_rollup" ? 0UL : 55UL * 1024, metrics.Memory.ProportionalBytes);
        Assert.Equal(6UL, metrics.OpenFds);
    }

    [Theory]
    [InlineData("io", "read_bytes: lots\nwrite_bytes: 1\n", MissingParts.Io)]
    [InlineData("limits", "Max open files            many                 1                    files     \n", MissingParts.FdLimit)]
    [InlineData("smaps_rollup", "Pss:   x kB\n", MissingParts.Smaps)]
    [InlineData("task/1111/stat", "garbage", MissingParts.Threads)]
    [InlineData("task/1111/io", "garbage", MissingParts.Threads)]
    [InlineData("task/1111/status", "garbage", MissingParts.Threads)]
    public void A_garbage_secondary_file_makes_the_read_partial(string file, string content, MissingParts missing)
    {
        _tree.AddProcess(1101, utime: 11, voluntary: 22, threads: [new FixtureThread(1101, "main", Voluntary: 22), new FixtureThread(1111, "helper")]);
        _tree.WriteFile(1101, file, content);
        var reader = Reader();
        MoveTo(reader, 1101);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Partial, reader.ReadMetrics(ref metrics));

        Assert.Equal(missing, metrics.Missing);
        Assert.Equal(11UL, metrics.Counts.CpuUserTicks);
        Assert.Equal(22UL, metrics.Counts.VoluntaryCtxSwitches);
    }

    [Fact]
    public void A_missing_fd_folder_makes_the_read_partial()
    {
        _tree.AddProcess(1102, fds: 2);
        Directory.Delete(_tree.PathOf(1102, "fd"), recursive: true);
        var reader = Reader();
        MoveTo(reader, 1102);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Partial, reader.ReadMetrics(ref metrics));

        Assert.Equal(MissingParts.OpenFds, metrics.Missing);
        Assert.Equal(0UL, metrics.OpenFds);
    }

    [Fact]
    public void A_missing_task_folder_makes_the_read_partial_and_counts_the_process_state_once()
    {
        _tree.AddProcess(1103, state: 'D', threads: [new FixtureThread(1103, "main", 'D'), new FixtureThread(1113, "helper", 'R')]);
        Directory.Delete(_tree.PathOf(1103, "task"), recursive: true);
        var reader = Reader();
        MoveTo(reader, 1103);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Partial, reader.ReadMetrics(ref metrics));

        Assert.Equal(MissingParts.Threads, metrics.Missing);
        Assert.Equal(0, metrics.ThreadCount);
        Assert.Equal(new ThreadStates { Waiting = 1 }, metrics.States);
    }

    [Fact]
    public void A_thread_that_exits_mid_read_is_not_counted()
    {
        _tree.AddProcess(1104, threads: [new FixtureThread(1104, "main"), new FixtureThread(1105, "gone", 'R')]);
        _tree.DeleteFile(1104, "task/1105/stat");
        var reader = Reader();
        MoveTo(reader, 1104);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(1, metrics.ThreadCount);
        Assert.Equal(1104, metrics.Threads![0].Tid);
        Assert.Equal(new ThreadStates { Sleeping = 1 }, metrics.States);
    }

    [Fact]
    public void A_garbage_status_fails_the_read()
    {
        _tree.AddProcess(1200);
        _tree.WriteFile(1200, "status", "Name:\tx\nState:\tS (sleeping)\n");
        var reader = Reader();
        MoveTo(reader, 1200);
        Assert.Equal(ReadStatus.Ok, reader.CurrentStatus);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Failed, reader.ReadMetrics(ref metrics));
    }

    [Fact]
    public void A_process_deleted_after_MoveNext_has_vanished()
    {
        _tree.AddProcess(1300);
        var reader = Reader();
        MoveTo(reader, 1300);
        Assert.Equal(ReadStatus.Ok, reader.CurrentStatus);

        _tree.DeleteProcess(1300);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Vanished, reader.ReadMetrics(ref metrics));
        Assert.Equal(ReadStatus.Vanished, reader.ReadStatic(out var facts));
        Assert.Null(facts);
    }

    [Theory]
    [InlineData("io")]
    [InlineData("limits")]
    [InlineData("smaps_rollup")]
    public void A_secondary_file_missing_along_with_stat_means_the_process_vanished(string file)
    {
        _tree.AddProcess(1301);
        var reader = Reader();
        MoveTo(reader, 1301);

        // The process exits between the read of status and that of a secondary file.
        _tree.DeleteFile(1301, "stat");
        _tree.DeleteFile(1301, file);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Vanished, reader.ReadMetrics(ref metrics));
    }

    [Fact]
    public void A_process_whose_fd_folder_and_stat_are_gone_has_vanished()
    {
        _tree.AddProcess(1302, fds: 1);
        var reader = Reader();
        MoveTo(reader, 1302);
        _tree.DeleteFile(1302, "stat");
        Directory.Delete(_tree.PathOf(1302, "fd"), recursive: true);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Vanished, reader.ReadMetrics(ref metrics));
    }

    [Fact]
    public void ReadStatic_reads_the_facts_of_a_process()
    {
        _tree.AddProcess(1400, "nginx", starttime: 12345, ppid: 77, uid: 0,
            cmdline: ["nginx: worker process", "-g", "daemon off;"],
            cgroup: "12:cpu,cpuacct:/docker/abc\n0::/system.slice/nginx.service\n",
            exe: "/usr/sbin/nginx");
        var reader = Reader();
        MoveTo(reader, 1400);
        var metrics = new ProcMetrics();
        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(ReadStatus.Ok, reader.ReadStatic(out var facts));

        Assert.NotNull(facts);
        Assert.Equal(new ProcId(1400, 12345), facts.Id);
        Assert.Equal("nginx", facts.Name);
        Assert.Equal(["nginx: worker process", "-g", "daemon off;"], facts.Cmdline);
        Assert.Equal(["/docker/abc", "/system.slice/nginx.service"], facts.Cgroups);
        Assert.Equal(77, facts.ParentPid);
        var hz = reader.System.ClockTicksPerSecond;
        var expectedStart = DateTimeOffset.FromUnixTimeSeconds(FixtureTree.DefaultBootTime)
            + TimeSpan.FromTicks(12345L * TimeSpan.TicksPerSecond / hz);
        Assert.Equal(expectedStart, facts.StartTime);
        if (hz == 100)
        {
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(FixtureTree.DefaultBootTime + 123).AddMilliseconds(450), facts.StartTime);
        }
        Assert.Equal(0U, facts.EffectiveUid);
        Assert.Equal("root", facts.Username);
        Assert.Equal("/usr/sbin/nginx", facts.ExePath);
    }

    [Fact]
    public void Processes_of_one_command_share_their_argument_path_and_executable_strings()
    {
        var longArgument = "--env=" + new string('x', 3000);
        string[] cmdline = ["/usr/bin/worker", "--queue", longArgument];
        _tree.AddProcess(1410, "worker", cmdline: cmdline);
        _tree.AddProcess(1411, "worker", cmdline: cmdline);
        _tree.AddProcess(1412, "worker", cmdline: ["/usr/bin/worker", "--queue", "other"]);
        var reader = Reader();
        var facts = new Dictionary<int, ProcStatic>();
        Assert.True(reader.BeginScan(out _, out var error), error);
        while (reader.MoveNext())
        {
            var metrics = new ProcMetrics();
            Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));
            Assert.Equal(ReadStatus.Ok, reader.ReadStatic(out var read));
            facts[reader.Current.Pid] = read!;
        }

        var (a, b, c) = (facts[1410], facts[1411], facts[1412]);
        Assert.Equal(cmdline, a.Cmdline);
        Assert.Equal(cmdline, b.Cmdline);
        for (var i = 0; i < cmdline.Length; i++) Assert.Same(a.Cmdline[i], b.Cmdline[i]);
        Assert.Same(a.Cmdline[0], c.Cmdline[0]);
        Assert.Equal("other", c.Cmdline[2]);
        Assert.Same(a.Cgroups[0], c.Cgroups[0]);
        Assert.Equal("/usr/bin/worker", a.ExePath);
        Assert.Same(a.ExePath, c.ExePath);
    }

    [Fact]
    public void ReadStatic_names_a_uid_without_a_user_by_its_number()
    {
        // 3999999 is far above any uid a system user database hands out.
        _tree.AddProcess(1401, uid: 3_999_999);
        var reader = Reader();
        MoveTo(reader, 1401);
        var metrics = new ProcMetrics();
        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(ReadStatus.Ok, reader.ReadStatic(out var facts));

        Assert.Equal(3_999_999U, facts!.EffectiveUid);
        Assert.Equal("3999999", facts.Username);
    }

    [Fact]
    public void ReadStatic_of_a_kernel_thread_has_no_command_line_and_no_exe()
    {
        _tree.AddProcess(2, "kthreadd", ppid: 0, kernelThread: true, cgroup: "0::/\n");
        var reader = Reader();
        MoveTo(reader, 2);
        var metrics = new ProcMetrics();
        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(ReadStatus.Ok, reader.ReadStatic(out var facts));

        Assert.Equal("kthreadd", facts!.Name);
        Assert.Empty(facts.Cmdline);
        Assert.Equal(["/"], facts.Cgroups);
        Assert.Equal(string.Empty, facts.ExePath);
        Assert.Equal(0, facts.ParentPid);
    }

    [Fact]
    public void ReadStatic_keeps_odd_comms_and_cmdlines()
    {
        _tree.AddProcess(1402, "a) R (b", cmdline: ["(sd-pam)"]);
        _tree.WriteFile(1402, "cmdline", [(byte)'x', 0xFF, 0, (byte)'y']);
        var reader = Reader();
        MoveTo(reader, 1402);
        var metrics = new ProcMetrics();
        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(ReadStatus.Ok, reader.ReadStatic(out var facts));

        Assert.Equal("a) R (b", facts!.Name);
        Assert.Equal(["x\uFFFD", "y"], facts.Cmdline);
    }

    [Fact]
    public void ReadStatic_without_cgroup_file_has_no_cgroups()
    {
        _tree.AddProcess(1403);
        _tree.DeleteFile(1403, "cgroup");
        var reader = Reader();
        MoveTo(reader, 1403);
        var metrics = new ProcMetrics();
        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(ReadStatus.Ok, reader.ReadStatic(out var facts));

        Assert.Empty(facts!.Cgroups);
    }

    [Fact]
    public void ReadStatic_with_a_large_command_line_reads_it_whole()
    {
        var args = Enumerable.Range(0, 5000).Select(i => $"--option-{i}=value").ToArray();
        _tree.AddProcess(1404, cmdline: args);
        var reader = Reader();
        MoveTo(reader, 1404);
        var metrics = new ProcMetrics();
        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(ReadStatus.Ok, reader.ReadStatic(out var facts));

        Assert.Equal(args, facts!.Cmdline);
    }

    [Fact]
    public void GatherSmaps_off_does_not_read_smaps_rollup()
    {
        _tree.AddProcess(1500, pssKb: 99);
        _tree.WriteFile(1500, "smaps_rollup", "unparseable");
        var withSmaps = Reader();
        MoveTo(withSmaps, 1500);
        var metrics = new ProcMetrics();
        Assert.Equal(ReadStatus.Partial, withSmaps.ReadMetrics(ref metrics));

        var reader = Reader(new ProcfsOptions { GatherSmaps = false });
        MoveTo(reader, 1500);

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));
        Assert.Equal(0UL, metrics.Memory.ProportionalBytes);
        Assert.Equal(0UL, metrics.Memory.ProportionalSwapBytes);
    }

    [Fact]
    public void Threads_off_reads_no_thread_and_counts_the_process_state_once()
    {
        _tree.AddProcess(1600, state: 'R', threads:
        [
            new FixtureThread(1600, "main", 'R'),
            new FixtureThread(1601, "a", 'S'),
            new FixtureThread(1602, "b", 'D'),
        ]);
        var reader = Reader(new ProcfsOptions { Threads = false });
        MoveTo(reader, 1600);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(0, metrics.ThreadCount);
        Assert.Null(metrics.Threads);
        Assert.Equal(3U, metrics.NumThreads);
        Assert.Equal(new ThreadStates { Running = 1 }, metrics.States);
    }

    [Fact]
    public void Threads_off_ignores_a_broken_task_folder()
    {
        _tree.AddProcess(1603, threads: [new FixtureThread(1603, "main"), new FixtureThread(1613, "helper")]);
        _tree.WriteFile(1603, "task/1603/stat", "garbage");
        Directory.Delete(_tree.PathOf(1603, "task/1613"), recursive: true);
        var reader = Reader(new ProcfsOptions { Threads = false });
        MoveTo(reader, 1603);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));
    }

    [Fact]
    public void Wchan_off_reads_no_wchan()
    {
        _tree.AddProcess(1700, wchan: "do_select", threads: [new FixtureThread(1700, "main", Wchan: "do_select"), new FixtureThread(1701, "t", Wchan: "futex_wait")]);
        var on = Reader();
        MoveTo(on, 1700);
        var metrics = new ProcMetrics();
        Assert.Equal(ReadStatus.Ok, on.ReadMetrics(ref metrics));
        Assert.Equal("do_select", Thread(metrics, 1700).Wchan);
        Assert.Equal("futex_wait", Thread(metrics, 1701).Wchan);

        var off = Reader(new ProcfsOptions { Wchan = false });
        MoveTo(off, 1700);

        Assert.Equal(ReadStatus.Ok, off.ReadMetrics(ref metrics));
        Assert.Null(metrics.Wchan);
        Assert.Null(Thread(metrics, 1700).Wchan);
        Assert.Null(Thread(metrics, 1701).Wchan);
    }

    [Fact]
    public void A_missing_wchan_file_is_no_wchan_and_not_an_error()
    {
        _tree.AddProcess(1702, wchan: "do_select");
        _tree.DeleteFile(1702, "wchan");
        var reader = Reader();
        MoveTo(reader, 1702);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Null(metrics.Wchan);
    }

    [Fact]
    public void A_root_given_with_a_trailing_slash_reads_the_same()
    {
        _tree.AddProcess(1800, utime: 5);
        var reader = new ProcfsReader(_tree.Root + "/");
        MoveTo(reader, 1800);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(5UL, metrics.Counts.CpuUserTicks);
        Assert.Equal(FixtureTree.DefaultBootTime, reader.System.BootTimeSeconds);
    }

    [Fact]
    public void A_root_with_spaces_and_non_ASCII_characters_is_read()
    {
        using var tree = new FixtureTree(prefix: "proc actors é日-");
        tree.AddProcess(12, "w", utime: 9);
        var reader = new ProcfsReader(tree.Root);
        MoveTo(reader, 12);
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(9UL, metrics.Counts.CpuUserTicks);
        Assert.Equal(FixtureTree.DefaultBootTime, reader.System.BootTimeSeconds);
    }

    [Fact]
    public void A_root_too_long_for_a_path_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new ProcfsReader("/" + new string('p', 3900)));
        Assert.Throws<ArgumentException>(() => new ProcfsReader("/" + new string('p', 5000)));
    }
}
