using ProcActors.Actors.Pipeline;

namespace ProcActors.Actors.Tests;

public sealed class ScanThreadTests
{
    [Fact]
    public async Task Every_scan_runs_on_the_same_named_thread_which_is_not_a_pool_thread()
    {
        using var thread = new ScanThread("test-scan");
        var seen = new List<(int Id, string? Name, bool Pool)>();
        for (var i = 0; i < 3; i++)
        {
            await thread.Run(() => seen.Add((Environment.CurrentManagedThreadId, Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread)))
                .WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }
        Assert.Equal(3, seen.Count);
        Assert.All(seen, s => Assert.Equal((thread.ManagedThreadId, "test-scan", false), s));
    }

    [Fact]
    public async Task A_failed_scan_faults_its_task_and_the_thread_runs_the_next_one()
    {
        using var thread = new ScanThread("test-scan");
        var failed = thread.Run(() => throw new IOException("no /proc"));
        var ex = await Assert.ThrowsAsync<IOException>(() => failed.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Equal("no /proc", ex.Message);
        var ran = false;
        await thread.Run(() => ran = true).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(ran);
    }

    [Fact]
    public async Task Disposed_the_thread_finishes_the_running_scan_then_ends_and_refuses_more()
    {
        var thread = new ScanThread("test-scan");
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        Thread? worker = null;
        var running = thread.Run(() =>
        {
            worker = Thread.CurrentThread;
            started.Set();
            release.Wait(TimeSpan.FromSeconds(10));
        });
        Assert.True(started.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        thread.Dispose();
        release.Set();
        await running.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(worker!.Join(TimeSpan.FromSeconds(10)));
        Assert.Throws<ObjectDisposedException>(() => { _ = thread.Run(() => { }); });
    }
}
