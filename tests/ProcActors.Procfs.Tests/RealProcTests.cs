using System.Diagnostics;
using System.Globalization;

namespace ProcActors.Procfs.Tests;

/// <summary>The reader against this machine's /proc, with child processes the tests start (and only those are killed).</summary>
public sealed class RealProcTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private sealed record Read(ProcId Id, ReadStatus MetricsStatus, ProcMetrics Metrics, ReadStatus StaticStatus, ProcStatic? Facts);

    /// <summary>Scans /proc and reads the process in full, or null when it is not listed (or not readable).</summary>
    private static Read? Find(ProcfsReader reader, Func<ProcfsReader, bool> match)
    {
        Assert.True(reader.BeginScan(out _, out var error), error);
        while (reader.MoveNext())
        {
            if (reader.CurrentStatus != ReadStatus.Ok || !match(reader)) continue;
            var metrics = new ProcMetrics();
            var metricsStatus = reader.ReadMetrics(ref metrics);
            if (metricsStatus is not (ReadStatus.Ok or ReadStatus.Partial)) return null;
            var staticStatus = reader.ReadStatic(out var facts);
            return new Read(reader.Current, metricsStatus, metrics, staticStatus, facts);
        }
        return null;
    }

    /// <summary>Rescans until the probe gives a value: a child may still be starting (or its shell still forking) when it is first looked for.</summary>
    private static async Task<T> Eventually<T>(Func<T?> probe, string what) where T : class
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (probe() is { } value) return value;
            if (deadline.Elapsed > Patience) Assert.Fail($"gave up waiting for {what}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    private static Process Start(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
    }

    private static async Task KillAndReap(Process child)
    {
        if (!child.HasExited) child.Kill(entireProcessTree: true);
        await child.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_sleeping_child_keeps_its_read_and_a_busy_one_is_read_every_scan()
    {
        // sleep does nothing after it starts; the shell wakes every 50 ms, writes and waits for its own sleep child.
        using var idle = Start("sleep", "30");
        using var busy = Start("sh", "-c", "while :; do echo x > /dev/null; sleep 0.05; done");
        try
        {
            var reader = new ProcfsReader(options: new ProcfsOptions { IdleEveryScans = 100 });
            var fresh = new ProcfsReader();
            await Eventually(() => Find(reader, r => r.Current.Pid == idle.Id) is { Metrics.State: (byte)'S' } read ? read : null, $"sleep child {idle.Id} to sleep");
            var busyFirst = await Eventually(() => Find(reader, r => r.Current.Pid == busy.Id), $"shell child {busy.Id}");

            long reusesBefore = reader.IdleReuses, busyReuses = 0;
            Read? idleLast = null, busyLast = busyFirst;
            for (var scan = 0; scan < 5; scan++)
            {
                await Task.Delay(200, TestContext.Current.CancellationToken);
                var before = reader.IdleReuses;
                busyLast = Find(reader, r => r.Current.Pid == busy.Id) ?? throw new InvalidOperationException("the shell child vanished");
                busyReuses += reader.IdleReuses - before;
                idleLast = Find(reader, r => r.Current.Pid == idle.Id) ?? throw new InvalidOperationException("the sleep child vanished");
            }

            // The sleeping child was kept (a reuse a scan; a child still finishing its start may run once more, so at
            // least 3 of 5), and what was kept is what a reader reading everything sees.
            Assert.True(reader.IdleReuses - reusesBefore >= 3, $"{reader.IdleReuses - reusesBefore} reuses in 5 scans");
            var truth = Find(fresh, r => r.Current.Pid == idle.Id)!;
            Assert.Equal(truth.Metrics.Counts, idleLast!.Metrics.Counts);
            Assert.Equal(truth.Metrics.OpenFds, idleLast.Metrics.OpenFds);

            // The shell ran between every two scans: never kept, and its switches and writes keep moving.
            Assert.Equal(0, busyReuses);
            Assert.True(busyLast.Metrics.Counts.VoluntaryCtxSwitches > busyFirst.Metrics.Counts.VoluntaryCtxSwitches,
                $"voluntary switches {busyFirst.Metrics.Counts.VoluntaryCtxSwitches} → {busyLast.Metrics.Counts.VoluntaryCtxSwitches}");
        }
        finally
        {
            await KillAndReap(idle);
            await KillAndReap(busy);
        }
    }

    [Fact]
    public async Task The_sleeping_threads_of_a_child_keep_their_reads_and_equal_a_full_read()
    {
        // Four threads (the main one and three more), all asleep for the whole test once started.
        using var child = Start("python3", "-c", "import threading, time\n[threading.Thread(target=time.sleep, args=(30,)).start() for _ in range(3)]\ntime.sleep(30)");
        try
        {
            var reader = new ProcfsReader(options: new ProcfsOptions { IdleEveryScans = 100 });
            await Eventually(() => Find(reader, r => r.Current.Pid == child.Id) is { Metrics.ThreadCount: 4 } read && AllAsleep(read) ? read : null, $"python child {child.Id} with 4 sleeping threads");
            var before = reader.IdleReuses;
            Read? last = null;
            for (var scan = 0; scan < 3; scan++)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
                last = Find(reader, r => r.Current.Pid == child.Id) ?? throw new InvalidOperationException("the python child vanished");
            }

            // 4 threads × 3 scans; a thread still settling may run once more.
            Assert.True(reader.IdleReuses - before >= 8, $"{reader.IdleReuses - before} thread reuses in 3 scans of 4 threads");
            var truth = Find(new ProcfsReader(), r => r.Current.Pid == child.Id)!;
            Assert.Equal(Threads(truth), Threads(last!));
            Assert.Equal(truth.Metrics.Counts, last!.Metrics.Counts);
        }
        finally
        {
            await KillAndReap(child);
        }

        static bool AllAsleep(Read read) => read.Metrics.Threads!.AsSpan(0, read.Metrics.ThreadCount).ToArray().All(t => t.State == (byte)'S');
        static (int, ProcCounts)[] Threads(Read read) =>
            read.Metrics.Threads!.AsSpan(0, read.Metrics.ThreadCount).ToArray().Select(t => (t.Tid, t.Counts)).OrderBy(t => t.Tid).ToArray();
    }

    [Fact]
    public async Task Finds_a_sleeping_child_and_loses_it_once_reaped()
    {
        using var child = Start("sleep", "30");
        Read found;
        try
        {
            var reader = new ProcfsReader();
            found = await Eventually(
                () => Find(reader, r => r.Current.Pid == child.Id) is { Metrics.State: (byte)'S' } read ? read : null,
                $"sleep child {child.Id} to sleep");

            Assert.Equal(ReadStatus.Ok, found.StaticStatus);
            var facts = found.Facts!;
            Assert.Equal(child.Id, facts.Id.Pid);
            Assert.Equal("sleep", facts.Name);
            Assert.Equal(["sleep", "30"], facts.Cmdline);
            Assert.Equal(Environment.ProcessId, facts.ParentPid);
            Assert.Equal(new FileInfo($"/proc/{child.Id}/exe").LinkTarget, facts.ExePath);
            Assert.Equal(Environment.UserName, facts.Username);
            Assert.Equal(child.StartTime.ToUniversalTime(), facts.StartTime.UtcDateTime, TimeSpan.FromSeconds(2));
            Assert.NotEmpty(facts.Cgroups);

            Assert.Equal(1U, found.Metrics.NumThreads);
            Assert.Equal(new ThreadStates { Sleeping = 1 }, found.Metrics.States);
            Assert.True(found.Metrics.Memory.ResidentBytes > 0);
            Assert.True(found.Metrics.Memory.VirtualBytes >= found.Metrics.Memory.ResidentBytes);
            Assert.True(found.Metrics.OpenFds >= 3, $"sleep has stdin, stdout and stderr open, not {found.Metrics.OpenFds}");
            Assert.True(found.Metrics.FdLimit > 0);
        }
        finally
        {
            await KillAndReap(child);
        }

        var after = new ProcfsReader();
        Assert.True(after.BeginScan(out _, out var error), error);
        while (after.MoveNext())
        {
            Assert.NotEqual(found.Id, after.Current);
        }
    }

    [Fact]
    public void Reads_this_test_process_with_all_its_threads()
    {
        var reader = new ProcfsReader();

        var self = Find(reader, r => r.Current.Pid == Environment.ProcessId);

        Assert.NotNull(self);
        Assert.Equal(ReadStatus.Ok, self.MetricsStatus);
        Assert.Equal(MissingParts.None, self.Metrics.Missing);
        Assert.True(self.Metrics.NumThreads > 1);
        Assert.True(self.Metrics.ThreadCount > 1);
        Assert.Equal(self.Metrics.ThreadCount, self.Metrics.States.Total);
        var threads = self.Metrics.Threads!.AsSpan(0, self.Metrics.ThreadCount).ToArray();
        Assert.Contains(threads, t => t.Tid == Environment.ProcessId);
        Assert.Equal(threads.Length, threads.Select(t => t.Tid).Distinct().Count());
        Assert.All(threads, t => Assert.NotNull(t.Name));
        Assert.True(self.Metrics.Memory.ResidentBytes > 0);
        Assert.True(self.Metrics.Memory.ProportionalBytes > 0);
        Assert.True(self.Metrics.OpenFds > 0);
        Assert.True(self.Metrics.Counts.CpuUserTicks + self.Metrics.Counts.CpuSystemTicks > 0);

        Assert.Equal(ReadStatus.Ok, self.StaticStatus);
        Assert.NotEmpty(self.Facts!.Cmdline);
        Assert.Equal(Environment.ProcessPath, self.Facts.ExePath);
        Assert.Equal(Environment.ProcessId, self.Facts.Id.Pid);
        // btime is whole seconds: the start time may be up to a second early.
        using var current = Process.GetCurrentProcess();
        Assert.Equal(current.StartTime.ToUniversalTime(), self.Facts.StartTime.UtcDateTime, TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void Reads_the_machine_facts()
    {
        var reader = new ProcfsReader();

        Assert.True(reader.BeginScan(out var start, out _));

        Assert.Equal(Environment.SystemPageSize, reader.System.PageSize);
        Assert.InRange(reader.System.BootTimeSeconds, 1, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var after = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
        Assert.NotNull(start.UptimeTicks);
        var uptime = (double)start.UptimeTicks.Value / reader.System.ClockTicksPerSecond;
        Assert.InRange(uptime, after - 5, after);
    }

    [Fact]
    public void Every_process_on_the_machine_reads_without_failure()
    {
        var reader = new ProcfsReader();
        Assert.True(reader.BeginScan(out _, out var error), error);
        var listed = 0;
        var failures = new List<string>();
        while (reader.MoveNext())
        {
            listed++;
            var pid = reader.Current.Pid;
            if (reader.CurrentStatus == ReadStatus.Failed) failures.Add($"{pid}: stat");
            if (reader.CurrentStatus != ReadStatus.Ok) continue;
            var metrics = new ProcMetrics();
            var status = reader.ReadMetrics(ref metrics);
            if (status == ReadStatus.Failed) failures.Add($"{pid}: metrics");
            if (status is not (ReadStatus.Ok or ReadStatus.Partial)) continue;
            Assert.True(metrics.States.Total >= 1);
            if (reader.ReadStatic(out var facts) == ReadStatus.Failed) failures.Add($"{pid}: static");
            else if (facts is not null) Assert.Equal(reader.Current, facts.Id);
        }

        Assert.Empty(failures);
        Assert.True(listed > 1);
    }

    [Fact]
    public async Task A_zombie_child_is_read_as_a_zombie()
    {
        // The shell becomes "sleep 30" and never waits for its "sleep 0" child: a zombie we own.
        using var parent = Start("sh", "-c", "sleep 0 & exec sleep 30");
        try
        {
            var reader = new ProcfsReader();
            var zombie = await Eventually(
                () => Find(reader, r => r.CurrentParentPid == parent.Id) is { Metrics.State: (byte)'Z' } read ? read : null,
                $"a zombie child of {parent.Id}");

            Assert.Equal(new ThreadStates { Zombie = 1 }, zombie.Metrics.States);
            Assert.Equal(0UL, zombie.Metrics.Memory.ResidentBytes);
            Assert.Equal(0UL, zombie.Metrics.OpenFds);
            Assert.Equal(ReadStatus.Ok, zombie.StaticStatus);
            Assert.Equal("sleep", zombie.Facts!.Name);
            Assert.Empty(zombie.Facts.Cmdline);
            Assert.Equal(string.Empty, zombie.Facts.ExePath);
            Assert.Equal(parent.Id, zombie.Facts.ParentPid);
        }
        finally
        {
            await KillAndReap(parent);
        }
    }

    /// <summary>
    /// A zombie has no memory map, like a kernel thread: ProcfsReader.ReadMetrics means to add nothing for it ("kernel
    /// threads have no memory map"), but the kernel answers the read of its smaps_rollup with ESRCH, not with an empty
    /// file, so the read is reported Partial (Missing = Smaps) on every scan.
    /// </summary>
    [Fact]
    public async Task A_zombie_has_no_memory_map_and_is_read_in_full()
    {
        using var parent = Start("sh", "-c", "sleep 0 & exec sleep 30");
        try
        {
            var reader = new ProcfsReader();
            var zombie = await Eventually(
                () => Find(reader, r => r.CurrentParentPid == parent.Id) is { Metrics.State: (byte)'Z' } read ? read : null,
                $"a zombie child of {parent.Id}");

            Assert.Equal(MissingParts.None, zombie.Metrics.Missing);
            Assert.Equal(ReadStatus.Ok, zombie.MetricsStatus);
        }
        finally
        {
            await KillAndReap(parent);
        }
    }

    /// <summary>Same as for a zombie: reading a kernel thread's smaps_rollup fails with ESRCH, and the read is reported Partial.</summary>
    [Fact]
    public void A_kernel_thread_has_no_memory_map_and_is_read_in_full()
    {
        var kernelThread = FindKernelThread(new ProcfsOptions());

        Assert.Equal(MissingParts.None, kernelThread.Metrics.Missing);
        Assert.Equal(ReadStatus.Ok, kernelThread.MetricsStatus);
    }

    [Fact]
    public void A_kernel_thread_is_read_in_full_without_smaps()
    {
        var kernelThread = FindKernelThread(new ProcfsOptions { GatherSmaps = false });

        Assert.Equal(MissingParts.None, kernelThread.Metrics.Missing);
        Assert.Equal(ReadStatus.Ok, kernelThread.MetricsStatus);
        Assert.Equal(0UL, kernelThread.Metrics.Memory.ResidentBytes);
        Assert.Equal(ReadStatus.Ok, kernelThread.StaticStatus);
        Assert.Empty(kernelThread.Facts!.Cmdline);
        Assert.Equal(string.Empty, kernelThread.Facts.ExePath);
    }

    /// <summary>A kernel thread (PF_KTHREAD in the flags, field 9 of stat), or a skip where none is visible (a container's pid namespace).</summary>
    private static Read FindKernelThread(ProcfsOptions options)
    {
        const uint PfKthread = 0x00200000;
        var reader = new ProcfsReader("/proc", options);
        var read = Find(reader, r => IsKernelThread(r.Current.Pid));
        if (read is null) Assert.Skip("no kernel thread is visible in /proc");
        return read;

        static bool IsKernelThread(int pid)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return (uint.Parse(fields[6], CultureInfo.InvariantCulture) & PfKthread) != 0;
            }
            catch (IOException)
            {
                return false;
            }
        }
    }
}
