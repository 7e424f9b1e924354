using System.Diagnostics;
using ProcActors.Procfs;
using ProcActors.Testing;

namespace ProcActors.Tracking.Tests;

/// <summary>
/// A read of /proc that hangs (a process in D state), stood in for by a FIFO in a fixture tree: opening a FIFO that
/// has no writer blocks in the kernel until one comes, and cannot be cancelled either. The scan is bounded by the
/// deadline, the timeout counted, the process kept as it was and skipped by the next scans until the read returns.
/// </summary>
public sealed class HungReadTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly FixtureTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private static GroupStats Group(LocalTracker tracker, string name) => tracker.Groups.Single(g => g.Name == name);

    private (LocalTracker Tracker, ProcfsReader Reader, ReadTimeouts Timeouts) Agent(int maxStuckReads)
    {
        var timeouts = new ReadTimeouts(Deadline, maxStuckReads);
        var reader = new ProcfsReader(_tree.Root, new ProcfsOptions { ReadTimeouts = timeouts });
        return (new LocalTracker(new CommNamer("web", "db")), reader, timeouts);
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Patience) Assert.Fail($"not within {Patience.TotalSeconds} s: {what}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task A_hung_read_is_bounded_counted_and_its_process_skipped_until_it_returns_with_no_work_lost()
    {
        _tree.AddProcess(100, "web", utime: 10, readBytes: 1_000);
        _tree.AddProcess(200, "db", utime: 20, readBytes: 2_000);
        _tree.AddProcess(300, "web", utime: 30);
        var (tracker, reader, timeouts) = Agent(maxStuckReads: 2);
        Assert.Null(tracker.Update(reader).Error);

        // db's io hangs; web goes on working.
        var fifo = _tree.ReplaceWithFifo(200, "io");
        _tree.AddProcess(100, "web", utime: 15, readBytes: 1_500);
        var clock = Stopwatch.StartNew();
        var hung = tracker.Update(reader);
        var firstScan = clock.Elapsed;
        Assert.Null(hung.Error);
        Assert.True(firstScan >= Deadline, $"the scan returned after {firstScan.TotalMilliseconds} ms, before the deadline: the read did not hang");
        Assert.Equal(1, hung.ReadTimeouts);
        Assert.Equal(3, hung.Listed);
        Assert.Equal(1L, timeouts.TimedOut);
        Assert.Equal(1, timeouts.Stuck);
        Assert.Equal(1, reader.Guard!.QuarantinedCount);
        // The processes after and before it were read; db is kept as it was, still a member, nothing lost or negative.
        Assert.Equal(5UL, Group(tracker, "web").Counts.CpuUserTicks);
        Assert.Equal(500UL, Group(tracker, "web").Counts.ReadBytes);
        Assert.Equal(0UL, Group(tracker, "db").Counts.CpuUserTicks);
        Assert.Equal(1, Group(tracker, "db").Procs);

        // The next scans skip db without touching its files: no new timeout, no stall.
        _tree.AddProcess(100, "web", utime: 17, readBytes: 1_700);
        for (var i = 0; i < 2; i++)
        {
            var skipped = tracker.Update(reader);
            Assert.Equal(0, skipped.ReadTimeouts);
            Assert.Equal(1, skipped.Quarantined);
            Assert.Equal(1, Group(tracker, "db").Procs);
        }
        Assert.Equal(7UL, Group(tracker, "web").Counts.CpuUserTicks);
        Assert.Equal(1L, timeouts.TimedOut);

        // A writer releases the read: the left-behind thread ends and the pid leaves quarantine.
        Assert.True(_tree.ReleaseFifo(fifo, ProcText.Io(2_400, 0)), "no reader was blocked on the FIFO");
        await Until(() => timeouts.Stuck == 0, "the left-behind read returns and frees its thread");
        Assert.Equal(0, reader.Guard.QuarantinedCount);

        // db worked meanwhile: read again, its whole interval counts, from where it was kept.
        _tree.AddProcess(200, "db", utime: 26, readBytes: 2_600);
        var back = tracker.Update(reader);
        Assert.Equal(0, back.Quarantined);
        Assert.Equal(0, back.ReadTimeouts);
        Assert.Equal(6UL, Group(tracker, "db").Counts.CpuUserTicks);
        Assert.Equal(600UL, Group(tracker, "db").Counts.ReadBytes);
        Assert.Equal(0L, tracker.Tracker.BackwardsCounters);
    }

    [Fact]
    public async Task A_hung_process_list_fails_that_scan_only()
    {
        _tree.AddProcess(100, "web", utime: 10);
        var (tracker, reader, timeouts) = Agent(maxStuckReads: 1);
        Assert.Null(tracker.Update(reader).Error);

        var fifo = _tree.ReplaceWithFifo("uptime");
        _tree.AddProcess(100, "web", utime: 12);
        var hung = tracker.Update(reader);
        Assert.Contains("timed out", hung.Error);
        Assert.Equal(1, hung.ReadTimeouts);
        // Nothing was lost: the tracked process stands as it was.
        Assert.Equal(0UL, Group(tracker, "web").Counts.CpuUserTicks);

        Assert.True(_tree.ReleaseFifo(fifo, "2400.00 4800.00\n"));
        await Until(() => timeouts.Stuck == 0, "the left-behind read returns");
        File.Delete(fifo);
        _tree.SetUptime(2_500);
        Assert.Null(tracker.Update(reader).Error);
        Assert.Equal(2UL, Group(tracker, "web").Counts.CpuUserTicks);
    }

    [Fact]
    public async Task Past_the_bound_of_stuck_reads_a_hung_read_stalls_the_scan_counted_until_a_slot_frees()
    {
        _tree.AddProcess(100, "web", utime: 10);
        _tree.AddProcess(200, "db", utime: 20);
        _tree.AddProcess(300, "db", utime: 30);
        var (tracker, reader, timeouts) = Agent(maxStuckReads: 1);
        Assert.Null(tracker.Update(reader).Error);

        var first = _tree.ReplaceWithFifo(200, "status");
        var second = _tree.ReplaceWithFifo(300, "status");
        var scan = Task.Run(() => tracker.Update(reader), TestContext.Current.CancellationToken);
        // Both hung reads are counted; only one thread may be left behind, so the scan waits on the second.
        await Until(() => timeouts.TimedOut == 2, "both hung reads are counted");
        Assert.False(scan.IsCompleted, "the scan went on without a free slot for the second hung read");
        Assert.Equal(1, timeouts.Stuck);

        // The directory order decides which of the two was left behind first: release that one.
        var (leftBehind, waitedOn) = reader.Guard!.IsQuarantined(200) ? (first, second) : (second, first);
        Assert.True(_tree.ReleaseFifo(leftBehind));
        var result = await scan.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal(2, result.ReadTimeouts);
        Assert.Equal(2, Group(tracker, "db").Procs);
        await Until(() => timeouts.Stuck == 1, "the first read returns; the second is left behind");

        Assert.True(_tree.ReleaseFifo(waitedOn));
        await Until(() => timeouts.Stuck == 0, "the second read returns");
    }
}
