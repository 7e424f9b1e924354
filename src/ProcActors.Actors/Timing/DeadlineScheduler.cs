using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace ProcActors.Actors.Timing;

/// <summary>
/// An Akka scheduler for an agent that is idle most of the time: its thread sleeps until the earliest timer is due,
/// instead of waking every tick. Akka's <c>HashedWheelTimerScheduler</c> wakes every <c>akka.scheduler.tick-duration</c>
/// whether or not anything is due (100 times a second by default, 10 at 100 ms), and each tick goes through the
/// runtime's timer thread and a pool thread (it awaits <c>Task.Delay</c>): 20 context switches a second per actor
/// system with nothing to do. Here an idle system wakes only for its own timers (a scan every 5 s; the cluster's
/// heartbeats and gossip every second), and a one-off timer fires when due, not on the next tick.
/// Selected with <c>akka.scheduler.implementation</c> in hocon/at-rest.hocon (the pipeline's actor system only; README).
/// Like Akka's scheduler, due work runs on the scheduler's thread (a Tell, or a short action), and what is still
/// pending at shutdown runs once then (so that asks end).
/// <para>
/// Repeating timers are kept on a grid of <c>akka.scheduler.tick-duration</c>, as on Akka's wheel: each one fires at
/// the first grid point at or after it is due (never early, at most one tick late) and then at a fixed rate, so the
/// periodic tasks of a system wake it together. The cluster's system has eight of them a second (gossip, leader
/// actions, reaper, two heartbeats, the pub-sub mediator's three) at six different instants; on its 250 ms grid they
/// come in two wakeups. One-off timers (ask timeouts, a query's deadline) fire when due.
/// </para>
/// </summary>
public sealed class DeadlineScheduler : SchedulerBase, IDateTimeOffsetNowTimeProvider, IDisposable
{
    private readonly object _gate = new();
    private readonly TimerQueue _timers = new();
    private readonly Thread _thread;
    private readonly TimeSpan _shutdownTimeout;
    private readonly long _grid;
    private bool _stopping;

    // Akka's own clock (internal to Akka) read through its scheduler, whose thread starts only when something is
    // scheduled on it (never): deadlines Akka computes elsewhere with that clock stay comparable with this one's.
    private readonly HashedWheelTimerScheduler _clock;

    public DeadlineScheduler(Config config, ILoggingAdapter log) : base(config, log)
    {
        _clock = new HashedWheelTimerScheduler(config, log);
        _shutdownTimeout = config.GetTimeSpan("akka.scheduler.shutdown-timeout", TimeSpan.FromSeconds(5));
        _grid = Math.Max(1, config.GetTimeSpan("akka.scheduler.tick-duration", TimeSpan.FromMilliseconds(10)).Ticks);
        _thread = new Thread(Loop) { IsBackground = true, Name = "akka-timers" };
        _thread.Start();
    }

    protected override DateTimeOffset TimeNow => DateTimeOffset.Now;

    public override TimeSpan MonotonicClock => _clock.MonotonicClock;

    public override TimeSpan HighResMonotonicClock => _clock.HighResMonotonicClock;

    protected override void InternalScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Add(delay, TimeSpan.Zero, () => receiver.Tell(message, sender), cancelable);

    protected override void InternalScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Add(initialDelay, interval, () => receiver.Tell(message, sender), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        Add(delay, TimeSpan.Zero, action, cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) =>
        Add(initialDelay, interval, action, cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) =>
        Add(delay, TimeSpan.Zero, action.Run, cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action, ICancelable cancelable) =>
        Add(initialDelay, interval, action.Run, cancelable);

    private void Add(TimeSpan delay, TimeSpan interval, Action action, ICancelable? cancelable)
    {
        var work = new ScheduledWork(action, interval.Ticks, cancelable is null ? null : () => cancelable.IsCancellationRequested);
        var due = DueAt(HighResMonotonicClock.Ticks, delay.Ticks);
        if (work.Repeats) due = AlignUp(due, _grid);
        lock (_gate)
        {
            if (_stopping) throw new SchedulerException("cannot enqueue after timer shutdown");
            if (_timers.Add(work, due)) Monitor.Pulse(_gate);
        }
    }

    private void Loop()
    {
        var due = new List<ScheduledWork>();
        while (true)
        {
            lock (_gate)
            {
                while (true)
                {
                    if (_stopping) return;
                    var now = HighResMonotonicClock.Ticks;
                    _timers.TakeDue(now, due);
                    if (due.Count > 0) break;
                    Monitor.Wait(_gate, WaitFor(_timers.NextDue, now));
                }
            }
            foreach (var work in due)
            {
                Run(work);
                if (!work.Repeats || work.IsCancelled) continue;
                lock (_gate)
                {
                    if (!_stopping) _timers.Add(work, NextRepeat(work.Due, work.Interval, HighResMonotonicClock.Ticks, _grid));
                }
            }
            due.Clear();
        }
    }

    /// <summary>
    /// <paramref name="now"/> + <paramref name="delay"/>, saturated: callers schedule "never" as huge delays
    /// (TimeSpan.MaxValue), which must not wrap around into the past and fire at once.
    /// </summary>
    internal static long DueAt(long now, long delay) => delay > long.MaxValue - now ? long.MaxValue : now + delay;

    /// <summary>The first multiple of <paramref name="grid"/> at or after <paramref name="due"/> (saturated).</summary>
    internal static long AlignUp(long due, long grid)
    {
        var past = due % grid;
        if (past == 0) return due;
        return due > long.MaxValue - (grid - past) ? long.MaxValue : due + (grid - past);
    }

    /// <summary>
    /// When a repeating timer that was due at <paramref name="lastDue"/> is due again: one interval later, on the grid
    /// (a fixed rate, so a timer on the grid stays on it instead of drifting by its own run time); one interval from
    /// <paramref name="now"/> when that is already past (the process was stopped or starved), so missed runs are
    /// skipped rather than fired in a burst.
    /// </summary>
    internal static long NextRepeat(long lastDue, long interval, long now, long grid)
    {
        var next = DueAt(lastDue, interval);
        if (next <= now) next = DueAt(now, interval);
        return AlignUp(next, grid);
    }

    /// <summary>Milliseconds until <paramref name="next"/>, rounded up so the thread does not wake just before it.</summary>
    internal static int WaitFor(long? next, long now)
    {
        if (next is not { } at) return Timeout.Infinite;
        var ms = (at - now + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
        return (int)Math.Clamp(ms, 1, int.MaxValue);
    }

    private void Run(ScheduledWork work)
    {
        try
        {
            work.Run();
        }
        catch (SchedulerException)
        {
            // A timer of an actor system that is shutting down: nothing left to tell.
        }
#pragma warning disable CA1031 // One failing timer must not stop every other timer of the actor system.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.Error(ex, "Error while running a scheduled task");
        }
    }

    public void Dispose()
    {
        var pending = new List<ScheduledWork>();
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
            _timers.Drain(pending);
            Monitor.Pulse(_gate);
        }
        // Akka disposes the scheduler when the system has terminated, which a scheduled action may have set off.
        if (Thread.CurrentThread != _thread && !_thread.Join(_shutdownTimeout)) Log.Warning("The scheduler's thread did not end within {0}", _shutdownTimeout);
        foreach (var work in pending) Run(work);
        _clock.Dispose();
    }
}
