using System.Diagnostics;
using ProcActors.Procfs.Taskstats;

namespace ProcActors.Procfs.Tests.Taskstats;

/// <summary>Exit records from this machine's kernel, for processes the test starts and reaps itself.</summary>
public sealed class TaskstatsKernelTests
{
    [Fact]
    public async Task Every_exit_of_a_child_arrives_once_with_its_parent_and_name()
    {
        using var reader = ExitRecordReader.TryStart(out var error);
        if (reader is null)
        {
            Assert.Skip($"taskstats exit records are not available here: {error}");
            return;
        }
        const int children = 50;
        var shell = await RunTrueChildrenAsync(children);

        var mine = new List<ExitRecord>();
        var all = new List<ExitRecord>();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            reader.Drain(all);
            mine.Clear();
            mine.AddRange(all.Where(r => r.ParentPid == shell.Id || r.Pid == shell.Id));
            if (mine.Count >= children + 1) break;
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        var trues = mine.Where(r => r.ParentPid == shell.Id).ToList();
        Assert.Equal(children, trues.Count);
        Assert.All(trues, r =>
        {
            Assert.Equal("true", r.Comm);
            Assert.Equal(r.Pid, r.Tgid);
            Assert.True(r.GroupDead);
            Assert.True(r.Version >= TaskstatsParser.MinimumVersion);
            Assert.True(r.MinorPageFaults > 0, "exec faults pages in");
        });
        Assert.Equal(children, trues.Select(r => r.Pid).Distinct().Count());
        // A single record may show no CPU (less than a tick, not yet folded into the runtime): fifty do not.
        Assert.True(trues.Sum(r => (double)(r.CpuUserNanos + r.CpuSystemNanos)) > 0);
        var sh = Assert.Single(mine, r => r.Pid == shell.Id);
        Assert.Equal(Environment.ProcessId, sh.ParentPid);
        // The record's start time agrees with the kernel's lifetime and our receive clock to within a second or two.
        var bootTime = File.ReadLines("/proc/stat").First(l => l.StartsWith("btime ", StringComparison.Ordinal))[6..];
        var startByLifetime = long.Parse(bootTime, System.Globalization.CultureInfo.InvariantCulture) + (sh.ReceivedBoottimeNanos / 1000 - (long)sh.ElapsedMicros) / 1_000_000;
        Assert.InRange(sh.BeginTimeSeconds, startByLifetime - 2, startByLifetime + 2);
        Assert.Equal(0, reader.Overflows);
        Assert.Null(reader.Refusal);
    }

    [Fact]
    public async Task A_burst_of_exits_is_read_in_batches_a_pause_apart_and_none_is_lost()
    {
        var pause = TimeSpan.FromMilliseconds(200);
        var window = Stopwatch.StartNew();
        using var reader = ExitRecordReader.TryStart(out var error, coalesce: pause);
        if (reader is null)
        {
            Assert.Skip($"taskstats exit records are not available here: {error}");
            return;
        }
        const int children = 300;
        var shell = await RunTrueChildrenAsync(children);

        var all = new List<ExitRecord>();
        var mine = 0;
        while (window.Elapsed < TimeSpan.FromSeconds(50))
        {
            reader.Drain(all);
            mine = all.Count(r => r.ParentPid == shell.Id);
            if (mine >= children) break;
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        var batches = reader.Batches;
        var elapsed = window.Elapsed;

        Assert.Equal(children, mine);
        Assert.Equal(0, reader.Overflows);
        // Each wakeup is followed by the pause: however the records came, and whatever else exited on the machine, there
        // were no more wakeups than pauses fit in the window. The exits came faster than one a pause (the window is
        // under a minute), so a reader woken once per record (~300 wakeups) would exceed that bound.
        var bound = (long)(elapsed / pause) + 1;
        Assert.True(bound < children, $"the exits took {elapsed.TotalMilliseconds:F0} ms: too slow to tell batching from reading each record");
        Assert.True(batches >= 1 && batches <= bound, $"{batches} wakeups for {all.Count} records in {elapsed.TotalMilliseconds:F0} ms (at most {bound})");
    }

    /// <summary>A shell of ours that runs <c>/bin/true</c> that many times, one after another, and is reaped.</summary>
    private static async Task<Process> RunTrueChildrenAsync(int children)
    {
        var shell = Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", $"i=0; while [ $i -lt {children} ]; do /bin/true; i=$((i+1)); done" } })!;
        await shell.WaitForExitAsync(TestContext.Current.CancellationToken);
        return shell;
    }
}
