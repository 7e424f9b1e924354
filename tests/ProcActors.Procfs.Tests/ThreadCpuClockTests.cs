using System.Diagnostics;

namespace ProcActors.Procfs.Tests;

public sealed class ThreadCpuClockTests
{
    [Fact]
    public void Counts_this_threads_work_and_not_its_sleep()
    {
        var start = ThreadCpuClock.Now();
        var wall = Stopwatch.StartNew();
        var spin = 0UL;
        while (wall.ElapsedMilliseconds < 200) spin++;
        var afterWork = ThreadCpuClock.Now();
        Thread.Sleep(200);
        var afterSleep = ThreadCpuClock.Now();

        Assert.True(spin > 0);
        // Busy for 200 ms of wall time: at least a share of it on the CPU even on a loaded machine.
        Assert.InRange(afterWork - start, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(400));
        // Asleep: a thread's clock does not advance with the wall clock.
        Assert.InRange(afterSleep - afterWork, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));
    }
}
