using System.Runtime.InteropServices;
using ProcActors.Procfs;

namespace ProcActors.Tracking;

/// <summary>
/// The running totals of one group: counters only ever grow (exited members' work stays), gauges are recomputed
/// over the live members each cycle.
/// </summary>
internal sealed class GroupAccumulator(string name)
{
    private readonly Dictionary<string, ThreadTotals> _threads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _wchans = new(StringComparer.Ordinal);
    private ProcCounts _counts;
    private ProcMemory _memory;
    private ulong _openFds;
    private double _worstFdRatio;
    private DateTimeOffset? _oldest;
    private ulong _numThreads;
    private ThreadStates _states;

    public string Name { get; } = name;

    public int Members { get; private set; }

    public void AddCounts(in ProcCounts delta) => CountsMath.Add(ref _counts, delta);

    public void AddThreadCounts(string threadName, in ProcCounts delta)
    {
        if (!_threads.TryGetValue(threadName, out var totals))
        {
            totals = new ThreadTotals();
            _threads.Add(threadName, totals);
        }
        CountsMath.Add(ref totals.Counts, delta);
    }

    public void BeginGauges()
    {
        Members = 0;
        _memory = default;
        _openFds = 0;
        _worstFdRatio = 0;
        _oldest = null;
        _numThreads = 0;
        _states = default;
        _wchans.Clear();
        foreach (var totals in _threads.Values) totals.Live = 0;
    }

    public void AddGauges(TrackedProc proc)
    {
        ref readonly var m = ref proc.Latest;
        Members++;
        _memory.ResidentBytes += m.Memory.ResidentBytes;
        _memory.VirtualBytes += m.Memory.VirtualBytes;
        _memory.SwapBytes += m.Memory.SwapBytes;
        _memory.ProportionalBytes += m.Memory.ProportionalBytes;
        _memory.ProportionalSwapBytes += m.Memory.ProportionalSwapBytes;
        _openFds += m.OpenFds;
        if (m.FdLimit > 0) _worstFdRatio = Math.Max(_worstFdRatio, (double)m.OpenFds / m.FdLimit);
        if (proc.StartTime is { } started && (_oldest is null || started < _oldest)) _oldest = started;
        _numThreads += m.NumThreads;
        _states.Add(m.States);

        if (proc.Threads is { Count: > 0 } threads)
        {
            foreach (var thread in threads)
            {
                if (_threads.TryGetValue(thread.Name, out var totals)) totals.Live++;
                if (thread.Wchan is not null) Increment(_wchans, thread.Wchan);
            }
        }
        else if (m.Wchan is not null)
        {
            Increment(_wchans, m.Wchan);
        }
    }

    public GroupStats Snapshot()
    {
        var threads = new Dictionary<string, ThreadGroupStats>(_threads.Count, StringComparer.Ordinal);
        foreach (var (threadName, totals) in _threads) threads[threadName] = new ThreadGroupStats(totals.Live, totals.Counts);
        return new GroupStats
        {
            Name = Name,
            Procs = Members,
            Counts = _counts,
            Memory = _memory,
            OpenFds = _openFds,
            WorstFdRatio = _worstFdRatio,
            OldestStartTime = _oldest,
            NumThreads = _numThreads,
            States = _states,
            Wchans = new Dictionary<string, int>(_wchans, StringComparer.Ordinal),
            Threads = threads,
        };
    }

    private static void Increment(Dictionary<string, int> counts, string key) =>
        CollectionsMarshal.GetValueRefOrAddDefault(counts, key, out _)++;

    private sealed class ThreadTotals
    {
        public ProcCounts Counts;
        public int Live;
    }
}
