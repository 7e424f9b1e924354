using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using ProcActors.Actors.Timing;

namespace ProcActors.Actors.Tests;

public sealed class TimerQueueTests
{
    private static ScheduledWork Work(List<string> log, string name, long interval = 0, Func<bool>? cancelled = null) =>
        new(() => log.Add(name), interval, cancelled);

    [Fact]
    public void Due_timers_come_out_earliest_first_and_later_ones_stay()
    {
        var queue = new TimerQueue();
        var log = new List<string>();
        Assert.True(queue.Add(Work(log, "c"), 30));
        Assert.True(queue.Add(Work(log, "a"), 10));
        Assert.False(queue.Add(Work(log, "b"), 20));
        var due = new List<ScheduledWork>();
        queue.TakeDue(20, due);
        due.ForEach(w => w.Run());
        Assert.Equal(["a", "b"], log);
        Assert.Equal(30, queue.NextDue);
    }

    [Fact]
    public void A_cancelled_timer_is_dropped_when_due_and_not_drained()
    {
        var queue = new TimerQueue();
        var log = new List<string>();
        var cancelled = false;
        queue.Add(Work(log, "x", cancelled: () => cancelled), 5);
        queue.Add(Work(log, "y", cancelled: () => cancelled), 50);
        cancelled = true;
        var due = new List<ScheduledWork>();
        queue.TakeDue(10, due);
        Assert.Empty(due);
        queue.Drain(due);
        Assert.Empty(due);
        Assert.Equal(0, queue.Count);
        Assert.Null(queue.NextDue);
    }

    [Theory]
    [InlineData(null, 0, Timeout.Infinite)]
    [InlineData(10_000L, 0, 1)]          // exactly 1 ms away
    [InlineData(10_001L, 0, 2)]          // rounded up: never wake just before the timer
    [InlineData(5L, 10, 1)]              // already due while computing: wake at once (not a zero wait that spins)
    public void The_thread_waits_until_the_next_timer_rounded_up_to_a_millisecond(long? next, long now, int expected) =>
        Assert.Equal(expected, DeadlineScheduler.WaitFor(next, now));

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(1L, 250L)]
    [InlineData(249L, 250L)]
    [InlineData(250L, 250L)]
    [InlineData(251L, 500L)]
    [InlineData(long.MaxValue - 1, long.MaxValue)] // "never" stays never instead of wrapping into the past
    public void A_repeating_timer_is_moved_to_the_next_grid_point_never_earlier(long due, long expected) =>
        Assert.Equal(expected, DeadlineScheduler.AlignUp(due, 250));

    [Theory]
    [InlineData(1_000L, 1_000L, 1_005L, 2_000L)]  // ran a little late: the next run stays on the grid (fixed rate, no drift)
    [InlineData(1_000L, 300L, 1_001L, 1_500L)]    // an interval off the grid: the next grid point after it
    [InlineData(1_000L, 1_000L, 5_300L, 6_500L)]  // the process was stopped for seconds: missed runs are skipped, not burst
    public void A_repeating_timer_is_due_again_one_interval_after_it_was_due(long lastDue, long interval, long now, long expected) =>
        Assert.Equal(expected, DeadlineScheduler.NextRepeat(lastDue, interval, now, grid: 250));
}

public sealed class DeadlineSchedulerTests
{
    private static DeadlineScheduler Create() =>
        new(ConfigurationFactory.ParseString("akka.scheduler.shutdown-timeout = 5s").WithFallback(ConfigurationFactory.Default()), NoLogger.Instance);

    [Fact]
    public async Task A_timer_fires_once_when_due_and_a_repeating_one_until_cancelled()
    {
        using var scheduler = Create();
        IScheduler s = scheduler;
        var once = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = scheduler.HighResMonotonicClock;
        s.Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(200), () => once.TrySetResult(scheduler.HighResMonotonicClock - start));
        var repeats = 0;
        var cancelable = new Cancelable(s);
        s.Advanced.ScheduleRepeatedly(TimeSpan.Zero, TimeSpan.FromMilliseconds(50), () => Interlocked.Increment(ref repeats), cancelable);

        var elapsed = await once.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.InRange(elapsed, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref repeats) < 3 && DateTime.UtcNow < deadline) await Task.Delay(20, TestContext.Current.CancellationToken);
        Assert.True(Volatile.Read(ref repeats) >= 3);
        cancelable.Cancel();
        await Task.Delay(100, TestContext.Current.CancellationToken);
        var after = Volatile.Read(ref repeats);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Equal(after, Volatile.Read(ref repeats));
    }

    [Fact]
    public async Task Repeating_timers_due_within_one_tick_fire_in_one_wakeup_and_keep_their_rate()
    {
        using var scheduler = new DeadlineScheduler(
            ConfigurationFactory.ParseString("akka.scheduler { tick-duration = 100ms, shutdown-timeout = 5s }").WithFallback(ConfigurationFactory.Default()), NoLogger.Instance);
        IScheduler s = scheduler;
        var fires = new[] { new List<TimeSpan>(), new List<TimeSpan>() };
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelable = new Cancelable(s);
        // Start just past a grid point (the grid is the monotonic clock's multiples of 100 ms): two timers due 30 ms
        // apart, at 10 and 40 ms, are then within one tick (even if this thread is held up for 50 ms) and both come
        // on the next grid point, every time.
        var grid = TimeSpan.FromMilliseconds(100).Ticks;
        while (scheduler.HighResMonotonicClock.Ticks % grid > TimeSpan.FromMilliseconds(10).Ticks) Thread.Sleep(1);
        var start = scheduler.HighResMonotonicClock;
        for (var i = 0; i < 2; i++)
        {
            var mine = fires[i];
            s.Advanced.ScheduleRepeatedly(TimeSpan.FromMilliseconds(10 + 30 * i), TimeSpan.FromMilliseconds(200), () =>
            {
                lock (fires) mine.Add(scheduler.HighResMonotonicClock);
                lock (fires) if (fires[0].Count >= 6 && fires[1].Count >= 6) done.TrySetResult();
            }, cancelable);
        }
        await done.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        cancelable.Cancel();
        List<TimeSpan> a, b;
        lock (fires) (a, b) = ([.. fires[0]], [.. fires[1]]);
        // Never early: the later one's first run is not before its own delay.
        Assert.True(b[0] - start >= TimeSpan.FromMilliseconds(40), $"first run after {(b[0] - start).TotalMilliseconds} ms");
        for (var k = 0; k < 6; k++)
        {
            // Run one after the other on the scheduler's thread: closer than the 30 ms their delays differ by.
            Assert.True((b[k] - a[k]).Duration() < TimeSpan.FromMilliseconds(20), $"run {k}: {(b[k] - a[k]).TotalMilliseconds} ms apart");
        }
        // A fixed rate: five periods take 1 s. Were each run due again 200 ms after it ran, every period would be
        // rounded up to the next grid point: 300 ms, 1.5 s for five.
        Assert.InRange((a[5] - a[0]).TotalMilliseconds, 900, 1_400);
    }

    [Fact]
    public async Task A_timer_scheduled_for_ever_never_fires()
    {
        Assert.Equal(long.MaxValue, DeadlineScheduler.DueAt(1_000, TimeSpan.MaxValue.Ticks));
        Assert.Equal(1_500, DeadlineScheduler.DueAt(1_000, 500));
        using var scheduler = Create();
        IScheduler s = scheduler;
        var fired = false;
        s.Advanced.ScheduleOnce(TimeSpan.MaxValue, () => fired = true);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.False(fired);
    }

    [Fact]
    public async Task An_earlier_timer_added_while_the_thread_sleeps_for_a_later_one_is_not_delayed()
    {
        using var scheduler = Create();
        IScheduler s = scheduler;
        s.Advanced.ScheduleOnce(TimeSpan.FromMinutes(10), () => { });
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        s.Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(20), () => fired.TrySetResult());
        await fired.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public void A_failing_timer_does_not_stop_the_others_and_pending_ones_run_once_at_shutdown()
    {
        var scheduler = Create();
        IScheduler s = scheduler;
        using var ran = new ManualResetEventSlim();
        s.Advanced.ScheduleOnce(TimeSpan.Zero, () => throw new InvalidOperationException("boom"));
        s.Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(10), ran.Set);
        Assert.True(ran.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));

        var pending = 0;
        s.Advanced.ScheduleOnce(TimeSpan.FromMinutes(10), () => pending++);
        scheduler.Dispose();
        Assert.Equal(1, pending);
        Assert.Throws<SchedulerException>(() => s.Advanced.ScheduleOnce(TimeSpan.Zero, () => { }));
    }

    [Fact]
    public async Task An_actor_system_configured_by_at_rest_hocon_runs_on_it_and_its_asks_time_out()
    {
        var config = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "at-rest.hocon")));
        using var system = ActorSystem.Create("deadline", config);
        Assert.IsType<DeadlineScheduler>(system.Scheduler);
        var silent = system.ActorOf(Props.Empty, "silent");
        await Assert.ThrowsAsync<AskTimeoutException>(() => silent.Ask<object>("hello", TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken));
        await system.Terminate().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }
}
