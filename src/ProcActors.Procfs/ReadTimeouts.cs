namespace ProcActors.Procfs;

/// <summary>
/// The bound on a read of /proc (--read-timeout, --max-stuck-reads) and what it has caught, shared by the readers of
/// an agent and read by /metrics. A read of a process in uninterruptible sleep (D state: a lock held across hung
/// NFS, a stuck exec holding its credentials lock) blocks in the kernel and cannot be cancelled: past the deadline
/// the scan leaves that read on its thread and goes on without the process; the thread is released when the read
/// returns. At most <see cref="MaxStuckReads"/> threads are left so; beyond that a further hung read stalls the scan
/// (counted all the same) until one of them returns.
/// </summary>
public sealed class ReadTimeouts
{
    private long _timedOut;
    private int _stuck;

    public ReadTimeouts(TimeSpan deadline, int maxStuckReads)
    {
        if (deadline <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(deadline), "a read deadline is positive");
        if (maxStuckReads < 1) throw new ArgumentOutOfRangeException(nameof(maxStuckReads), "at least one stuck read may be left behind");
        Deadline = deadline;
        MaxStuckReads = maxStuckReads;
    }

    public TimeSpan Deadline { get; }

    public int MaxStuckReads { get; }

    /// <summary>Reads that passed the deadline, each counted once (monotonic).</summary>
    public long TimedOut => Interlocked.Read(ref _timedOut);

    /// <summary>Reads left behind on their threads that have not returned yet.</summary>
    public int Stuck => Volatile.Read(ref _stuck);

    internal void CountTimeout() => Interlocked.Increment(ref _timedOut);

    /// <summary>Takes a stuck-thread slot; false when all are taken.</summary>
    internal bool TryTakeStuckSlot()
    {
        while (true)
        {
            var stuck = Volatile.Read(ref _stuck);
            if (stuck >= MaxStuckReads) return false;
            if (Interlocked.CompareExchange(ref _stuck, stuck + 1, stuck) == stuck) return true;
        }
    }

    internal void ReleaseStuckSlot() => Interlocked.Decrement(ref _stuck);
}

/// <summary>Thrown on a reading thread whose read returned after the scan left it behind: the thread must stop, touching nothing.</summary>
public sealed class ReadAbandonedException(long token) : Exception("a /proc read returned after its scan had left it behind")
{
    /// <summary>The read's token, for <see cref="ReadGuard.Released"/>.</summary>
    public long Token { get; } = token;
}

/// <summary>
/// The handshake between a reading thread and the thread that watches it, for one reader. Every guarded read is
/// bracketed by <see cref="Enter"/> and <see cref="Exit"/>: a plain store and one compare-and-swap, no clock. The
/// watcher samples the state a few times per deadline; a read whose token has not changed for a whole deadline is
/// stuck. Whoever swaps the token first wins: the reader (its read returned: it goes on) or the watcher (the reader
/// is abandoned: when its read returns it throws <see cref="ReadAbandonedException"/> before writing anything shared,
/// and the reader's buffers are replaced so the kernel's late write lands in memory nobody else uses).
/// </summary>
public sealed class ReadGuard
{
    private const long Abandoned = -2;
    private readonly ReadTimeouts _timeouts;
    private readonly Action<int> _onAbandon;
    private readonly Lock _lock = new();
    private readonly HashSet<int> _quarantined = [];
    private readonly Dictionary<long, int> _abandoned = [];
    private volatile int _quarantinedCount;
    private long _state;
    private long _nextToken = 1;
    private int _pid;
    private long _watched;
    private long _watchedSince;
    private long _counted;

    /// <param name="onAbandon">Called on the watcher's thread right after a reader is left behind, with the pid it was reading (0: the process list), before any other thread reads again.</param>
    public ReadGuard(ReadTimeouts timeouts, Action<int> onAbandon)
    {
        _timeouts = timeouts;
        _onAbandon = onAbandon;
    }

    public ReadTimeouts Timeouts => _timeouts;

    /// <summary>How often the watcher should look: a hung read is caught between one and 1.25 deadlines.</summary>
    public TimeSpan CheckInterval => _timeouts.Deadline / 4;

    /// <summary>Pids whose read hung and has not returned: skipped, not read again, until it does.</summary>
    public int QuarantinedCount => _quarantinedCount;

    public bool IsQuarantined(int pid)
    {
        if (_quarantinedCount == 0) return false;
        lock (_lock) return _quarantined.Contains(pid);
    }

    /// <summary>Before a read of a file of <paramref name="pid"/> (0: not a process's file). Returns the token for <see cref="Exit"/>.</summary>
    public long Enter(int pid)
    {
        _pid = pid;
        var token = _nextToken;
        _nextToken = token + 2;
        Volatile.Write(ref _state, token);
        return token;
    }

    /// <summary>After the read returned: throws <see cref="ReadAbandonedException"/> when the watcher has left this reader behind.</summary>
    public void Exit(long token)
    {
        if (Interlocked.CompareExchange(ref _state, token + 1, token) != token) throw new ReadAbandonedException(token);
    }

    /// <summary>
    /// Called by the watcher every <see cref="CheckInterval"/> with a monotonic time in Stopwatch ticks. True when the
    /// read in progress has lasted a whole deadline and was left behind: <paramref name="pid"/> is quarantined
    /// (0 when it was the process list) and the reader's next reads use fresh buffers.
    /// </summary>
    public bool TryAbandon(long nowTicks, out int pid)
    {
        pid = 0;
        var state = Volatile.Read(ref _state);
        if ((state & 1) == 0 || state != _watched)
        {
            _watched = state;
            _watchedSince = nowTicks;
            return false;
        }
        if (nowTicks - _watchedSince < _timeouts.Deadline.TotalSeconds * System.Diagnostics.Stopwatch.Frequency) return false;
        if (_counted != state)
        {
            _counted = state;
            _timeouts.CountTimeout();
        }
        if (!_timeouts.TryTakeStuckSlot()) return false;
        if (Interlocked.CompareExchange(ref _state, Abandoned, state) != state)
        {
            _timeouts.ReleaseStuckSlot();
            return false;
        }
        pid = _pid;
        lock (_lock)
        {
            _abandoned.Add(state, pid);
            if (pid > 0) _quarantined.Add(pid);
            _quarantinedCount = _quarantined.Count;
        }
        _onAbandon(pid);
        return true;
    }

    /// <summary>Called on a left-behind thread once its read returned: its pid is read again from the next scan on.</summary>
    public void Released(long token)
    {
        lock (_lock)
        {
            if (!_abandoned.Remove(token, out var pid)) return;
            if (pid > 0) _quarantined.Remove(pid);
            _quarantinedCount = _quarantined.Count;
        }
        _timeouts.ReleaseStuckSlot();
    }
}
