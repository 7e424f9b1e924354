namespace ProcActors.Actors.Timing;

/// <summary>
/// Timers ordered by due time, on a monotonic clock in ticks. Not thread-safe: <see cref="DeadlineScheduler"/> holds
/// its lock around every call. Cancelled timers are dropped when they come due, not searched for when cancelled.
/// </summary>
public sealed class TimerQueue
{
    private readonly PriorityQueue<ScheduledWork, long> _queue = new();

    public int Count => _queue.Count;

    /// <summary>When the earliest timer is due; null when there is none.</summary>
    public long? NextDue => _queue.TryPeek(out _, out var due) ? due : null;

    /// <summary>Adds a timer; true when it is now the earliest, i.e. the waiting thread must wake sooner.</summary>
    public bool Add(ScheduledWork work, long due)
    {
        var earliest = NextDue is not { } next || due < next;
        work.Due = due;
        _queue.Enqueue(work, due);
        return earliest;
    }

    /// <summary>Moves every timer due at <paramref name="now"/> into <paramref name="due"/>, earliest first.</summary>
    public void TakeDue(long now, List<ScheduledWork> due)
    {
        while (_queue.TryPeek(out var work, out var at) && at <= now)
        {
            _queue.Dequeue();
            if (!work.IsCancelled) due.Add(work);
        }
    }

    /// <summary>Empties the queue into <paramref name="pending"/> (timers not cancelled), at shutdown.</summary>
    public void Drain(List<ScheduledWork> pending)
    {
        while (_queue.TryDequeue(out var work, out _))
            if (!work.IsCancelled) pending.Add(work);
    }
}

/// <summary>What a timer runs, whether it repeats (every <see cref="Interval"/> ticks) and how it is cancelled.</summary>
public sealed class ScheduledWork(Action run, long interval, Func<bool>? cancelled)
{
    public long Interval { get; } = interval;

    public bool Repeats => Interval > 0;

    /// <summary>When it was last due (set when queued): a repeating timer's next run is computed from it.</summary>
    public long Due { get; set; }

    public bool IsCancelled => cancelled?.Invoke() ?? false;

    public void Run() => run();
}
