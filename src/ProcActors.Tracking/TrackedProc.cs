using ProcActors.Procfs;

namespace ProcActors.Tracking;

/// <summary>A process being tracked: its latest raw reading, and what it accrued since tracking began.</summary>
public sealed class TrackedProc
{
    private Dictionary<int, TrackedThread>? _threads;
    private int _threadCycle;
    /// <summary>
    /// Parts whose baseline is not known yet: unreadable at the first look at a process whose history is not ours
    /// to count. Their first good read becomes the baseline instead of a delta from zero.
    /// </summary>
    private MissingParts _unknownBaselines;

    internal TrackedProc(ProcId id, GroupAccumulator group, ProcStatic? facts, in ProcMetrics metrics, bool countFromStart)
    {
        Id = id;
        Group = group;
        Static = facts;
        Name = facts?.Name ?? string.Empty;
        Cmdline = facts?.Cmdline ?? [];
        StartTime = facts?.StartTime;
        Latest = metrics;
        Latest.Threads = null;
        CountedFromStart = countFromStart;
        FirstCounts = metrics.Counts;
        if (!countFromStart) _unknownBaselines = metrics.Missing & (MissingParts.Io | MissingParts.Threads);
        if (countFromStart)
        {
            Accumulated = metrics.Counts;
            LastDelta = metrics.Counts;
            group.AddCounts(metrics.Counts);
        }
        var backwards = 0;
        UpdateThreads(metrics, countFromStart, ref backwards);
    }

    public ProcId Id { get; }

    public string GroupName => Group.Name;

    /// <summary>Static facts, when this tracker saw the process first appear.</summary>
    public ProcStatic? Static { get; }

    // The static facts every cycle reads (a group's oldest start time, a member's name and command line), kept here:
    // read from Static, each was a cache miss per process and cycle (a tenth of the pipeline's CPU at 10,000 processes).

    /// <summary>The command name, when the static facts are known; empty otherwise.</summary>
    public string Name { get; }

    /// <summary>The command line, when the static facts are known; empty otherwise.</summary>
    public IReadOnlyList<string> Cmdline { get; }

    /// <summary>When the process started, when the static facts are known.</summary>
    public DateTimeOffset? StartTime { get; }

    /// <summary>The latest reading (thread details are kept apart).</summary>
    public ProcMetrics Latest;

    /// <summary>Whether everything it did before its first reading was counted (it started after the previous scan).</summary>
    internal bool CountedFromStart { get; }

    /// <summary>The first reading: what a snapshot loaded late needs to count the time the agent was down, once.</summary>
    internal ProcCounts FirstCounts { get; }

    /// <summary>Counts accrued since tracking began.</summary>
    public ProcCounts Accumulated;

    /// <summary>Counts accrued in the last cycle.</summary>
    public ProcCounts LastDelta;

    internal GroupAccumulator Group { get; set; }

    /// <summary>The threads last read; null when the process was never read with threads. Concrete, so iterating boxes nothing.</summary>
    internal Dictionary<int, TrackedThread>.ValueCollection? Threads => _threads?.Values;

    /// <summary>Adds work done before tracking began (known from a snapshot loaded late) to the process and its group.</summary>
    internal void AddEarlier(in ProcCounts earlier)
    {
        CountsMath.Add(ref Accumulated, earlier);
        Group.AddCounts(earlier);
    }

    internal void Update(in ProcMetrics metrics, ref int backwards)
    {
        var previous = Latest.Counts;
        var now = metrics.Counts;
        // A part that could not be read this time keeps its previous value: no delta is taken from a zero.
        if ((metrics.Missing & MissingParts.Io) != 0)
        {
            now.ReadBytes = previous.ReadBytes;
            now.WriteBytes = previous.WriteBytes;
        }
        else if ((_unknownBaselines & MissingParts.Io) != 0)
        {
            previous.ReadBytes = now.ReadBytes;
            previous.WriteBytes = now.WriteBytes;
            _unknownBaselines &= ~MissingParts.Io;
        }
        // Without task/ the reader has only the main thread's switches, not the sum over threads: a delta taken
        // from them would drop now and count every other thread's history at the next full read.
        if ((metrics.Missing & MissingParts.Threads) != 0)
        {
            now.VoluntaryCtxSwitches = previous.VoluntaryCtxSwitches;
            now.NonvoluntaryCtxSwitches = previous.NonvoluntaryCtxSwitches;
        }
        else if ((_unknownBaselines & MissingParts.Threads) != 0)
        {
            previous.VoluntaryCtxSwitches = now.VoluntaryCtxSwitches;
            previous.NonvoluntaryCtxSwitches = now.NonvoluntaryCtxSwitches;
            _unknownBaselines &= ~MissingParts.Threads;
        }
        var delta = CountsMath.Delta(now, previous, ref backwards);
        CountsMath.Add(ref Accumulated, delta);
        LastDelta = delta;
        Group.AddCounts(delta);

        var carried = Latest;
        Latest = metrics;
        Latest.Counts = now;
        Latest.Threads = null;
        if ((metrics.Missing & MissingParts.OpenFds) != 0) Latest.OpenFds = carried.OpenFds;
        if ((metrics.Missing & MissingParts.FdLimit) != 0) Latest.FdLimit = carried.FdLimit;
        if ((metrics.Missing & MissingParts.Smaps) != 0)
        {
            Latest.Memory.ProportionalBytes = carried.Memory.ProportionalBytes;
            Latest.Memory.ProportionalSwapBytes = carried.Memory.ProportionalSwapBytes;
        }
        // Threads seen for the first time (after a restart, or when a process turns multi-threaded) are a baseline:
        // which of them are new cannot be told. Later newcomers were born since the last scan and count in full.
        if ((metrics.Missing & MissingParts.Threads) != 0) return;
        // Back to one thread (or thread reading off): no thread of it is tracked; should it grow threads again,
        // they are a fresh baseline.
        if (metrics.Threads is null) _threads = null;
        else UpdateThreads(metrics, countNewFromStart: _threads is not null, ref backwards);
    }

    /// <summary>
    /// Thread deltas by tid. A thread first seen in a process we already knew was born since the last scan and
    /// counts in full; the threads of a newly seen process count in full only if the process does.
    /// </summary>
    private void UpdateThreads(in ProcMetrics metrics, bool countNewFromStart, ref int backwards)
    {
        if (metrics.Threads is null) return;
        _threadCycle++;
        _threads ??= new Dictionary<int, TrackedThread>(metrics.ThreadCount);
        for (var i = 0; i < metrics.ThreadCount; i++)
        {
            ref readonly var sample = ref metrics.Threads[i];
            if (_threads.TryGetValue(sample.Tid, out var thread))
            {
                // The interval counts under the name the thread had when it began; a rename starts no new history.
                var delta = CountsMath.Delta(sample.Counts, thread.Last, ref backwards);
                Group.AddThreadCounts(thread.Name, delta);
                if (thread.Name != sample.Name)
                {
                    thread.Name = sample.Name;
                    Group.AddThreadCounts(sample.Name, default);
                }
            }
            else
            {
                thread = new TrackedThread(sample.Name);
                _threads[sample.Tid] = thread;
                if (countNewFromStart) Group.AddThreadCounts(sample.Name, sample.Counts);
                else Group.AddThreadCounts(sample.Name, default);
            }
            thread.Last = sample.Counts;
            thread.Wchan = sample.Wchan;
            thread.LastSeen = _threadCycle;
        }
        foreach (var (tid, thread) in _threads)
        {
            if (thread.LastSeen != _threadCycle) _threads.Remove(tid);
        }
    }
}

/// <summary>A thread of a tracked process: its last raw counts, to take the next delta from.</summary>
internal sealed class TrackedThread(string name)
{
    public string Name { get; set; } = name;
    public ProcCounts Last;
    public string? Wchan;
    public int LastSeen;
}
