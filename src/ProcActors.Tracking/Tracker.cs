using ProcActors.Procfs;
using ProcActors.Tracking.Exits;

namespace ProcActors.Tracking;

/// <summary>
/// Accumulates CPU, IO, faults and context switches of the processes it is given (all of them, or one group actor's
/// share), the counting half of the seed's Tracker.Update, and totals them per group.
/// A process first seen while already running counts only what it does from then on; one that started after the
/// previous scan counts everything it did. A counter that goes backwards never yields a negative or wrapped delta.
/// Processes not observed in a cycle have exited: they are dropped, and their group keeps their counts.
/// </summary>
public sealed class Tracker : IProcSink
{
    private readonly Dictionary<ProcId, TrackedProc> _procs = [];
    private readonly Dictionary<string, GroupAccumulator> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<ProcId, ProcCounts> _baselines = [];
    /// <summary>Restored baselines not claimed by the end of this cycle belong to processes that exited meanwhile.</summary>
    private long _baselinesUntilCycle;
    private readonly bool _removeEmptyGroups;
    private readonly ExitLedger _exits = new(ClockTicks.PerSecond);
    private long _cycle;

    /// <param name="removeEmptyGroups">Forget a group once it has no members (process-exporter's -remove-empty-groups).</param>
    public Tracker(bool removeEmptyGroups = false) => _removeEmptyGroups = removeEmptyGroups;

    /// <summary>Forgets a group once it has no members (process-exporter's -remove-empty-groups).</summary>
    public bool RemovesEmptyGroups => _removeEmptyGroups;

    /// <summary>Processes tracked now.</summary>
    public int Count => _procs.Count;

    /// <summary>Counter fields seen going backwards, clamped to a zero delta.</summary>
    public long BackwardsCounters { get; private set; }

    /// <summary>The processes tracked now (a concrete collection: iterating it allocates nothing).</summary>
    public Dictionary<ProcId, TrackedProc>.ValueCollection Procs => _procs.Values;

    /// <summary>Exited and departed processes remembered to match records with scans (bounded by a few cycles' exits).</summary>
    public int RememberedExits => _exits.Remembered;

    public void BeginCycle()
    {
        _cycle++;
        _exits.BeginCycle();
    }

    /// <summary>
    /// Continues from saved state: the group's counters as they were, and the last raw readings of the processes
    /// then tracked. A process seen again with the same identity counts what it did meanwhile, once; the baselines
    /// of processes not seen within the next two cycles are dropped (they exited while we were away).
    /// </summary>
    public void Restore(string group, in ProcCounts counts, IReadOnlyDictionary<string, ProcCounts> threadCounts, IEnumerable<KeyValuePair<ProcId, ProcCounts>> baselines)
    {
        var accumulator = Group(group);
        accumulator.AddCounts(counts);
        foreach (var (thread, threadTotals) in threadCounts) accumulator.AddThreadCounts(thread, threadTotals);
        foreach (var (id, raw) in baselines) _baselines[id] = raw;
        // Kept through the next two cycles, not one: a restart after a failure can lose the batch in flight.
        _baselinesUntilCycle = _cycle + 2;
    }

    /// <summary>
    /// Merges saved state that could only be loaded after counting had begun (the store was down or slow at start):
    /// the group's saved counters are added to what was counted since; a process saved and still tracked adds what
    /// it did between the saved reading and its first reading here, and one born while the agent was down (after
    /// <paramref name="savedScanUptimeTicks"/>) adds what it did before its first reading. So every counter ends as
    /// if the snapshot had been loaded on time, and nothing is counted twice.
    /// </summary>
    public void MergeLate(string group, in ProcCounts counts, IReadOnlyDictionary<string, ProcCounts> threadCounts,
        IReadOnlyDictionary<ProcId, ProcCounts> baselines, ulong? savedScanUptimeTicks)
    {
        var accumulator = Group(group);
        accumulator.AddCounts(counts);
        foreach (var (thread, threadTotals) in threadCounts) accumulator.AddThreadCounts(thread, threadTotals);
        var backwards = 0;
        foreach (var proc in _procs.Values)
        {
            if (proc.CountedFromStart || !ReferenceEquals(proc.Group, accumulator)) continue;
            if (baselines.TryGetValue(proc.Id, out var saved)) proc.AddEarlier(CountsMath.Delta(proc.FirstCounts, saved, ref backwards));
            else if (savedScanUptimeTicks is { } uptime && proc.Id.StartTicks > uptime) proc.AddEarlier(proc.FirstCounts);
        }
        BackwardsCounters += backwards;
    }

    public void Observe(in ProcSample sample)
    {
        // Its exit record came first (a zombie, or a sample read just before the exit): the record counted it all.
        if (_exits.Remembered > 0 && _exits.HasExited(sample.Id)) return;
        var backwards = 0;
        if (_procs.TryGetValue(sample.Id, out var proc))
        {
            if (sample.Kind == SampleKind.Unread)
            {
                proc.KeepUnread(_cycle);
                return;
            }
            proc.Update(sample.Metrics, _cycle, ref backwards);
            if (sample.Kind == SampleKind.Leaving) _procs.Remove(sample.Id);
        }
        else if (sample.Kind != SampleKind.Read)
        {
            // Not tracked here (exited from our view, or restored and not read yet): nothing to keep or count.
            return;
        }
        else if (_baselines.Remove(sample.Id, out var baseline))
        {
            var previous = sample.Metrics;
            previous.Counts = baseline;
            previous.Threads = null;
            previous.Missing = MissingParts.None;
            proc = new TrackedProc(sample.Id, Group(sample.Group), sample.Static, previous, countFromStart: false, _cycle);
            proc.Update(sample.Metrics, _cycle, ref backwards);
            _procs.Add(sample.Id, proc);
        }
        else
        {
            var group = Group(sample.Group);
            proc = new TrackedProc(sample.Id, group, sample.Static, sample.Metrics, sample.CountFromStart, _cycle);
            _procs.Add(sample.Id, proc);
        }
        BackwardsCounters += backwards;
    }

    /// <summary>A process's exit record: adds what it shows beyond what the scans counted, and ends its tracking.</summary>
    public void ObserveExit(in ProcExit exit)
    {
        TrackedProc? tracked = null;
        if (exit.Kind == ExitKind.Process && exit.Tracked is { } id && _procs.Remove(id, out var proc)) tracked = proc;
        _exits.Apply(exit, tracked, tracked?.Group ?? Group(exit.Group));
    }

    /// <summary>Drops the processes not observed in this cycle and returns every group's totals.</summary>
    public IReadOnlyList<GroupStats> EndCycle()
    {
        var none = default(NoVisitor);
        return EndCycle(ref none);
    }

    /// <summary>
    /// Drops the processes not observed in this cycle, shows each process still tracked to
    /// <paramref name="live"/> and returns every group's totals. One pass over the tracked processes does all three:
    /// at 10,000 processes each pass is ~10,000 cache misses, and the caller's (the group actor's member list) reads
    /// the same fields right after the gauges did.
    /// </summary>
    public IReadOnlyList<GroupStats> EndCycle<TVisitor>(scoped ref TVisitor live) where TVisitor : ILiveProcVisitor, allows ref struct
    {
        if (_cycle >= _baselinesUntilCycle) _baselines.Clear();
        foreach (var group in _groups.Values) group.BeginGauges();
        foreach (var (id, proc) in _procs)
        {
            if (proc.LastSeen != _cycle)
            {
                _procs.Remove(id);
                _exits.Depart(proc);
                continue;
            }
            proc.Group.AddGauges(proc);
            live.Visit(proc);
        }
        _exits.EndCycle();

        var result = new List<GroupStats>(_groups.Count);
        foreach (var (name, group) in _groups)
        {
            if (_removeEmptyGroups && group.Members == 0)
            {
                _groups.Remove(name);
                continue;
            }
            var stats = group.Snapshot();
            var shortLived = _exits.ShortLived(name);
            result.Add(shortLived == default ? stats : stats with { ShortLived = shortLived });
        }
        return result;
    }

    private struct NoVisitor : ILiveProcVisitor
    {
        public readonly void Visit(TrackedProc proc)
        {
        }
    }

    private GroupAccumulator Group(string name)
    {
        if (!_groups.TryGetValue(name, out var group))
        {
            group = new GroupAccumulator(name);
            _groups.Add(name, group);
        }
        return group;
    }
}

/// <summary>Sees each process still tracked at the end of a cycle (<see cref="Tracker.EndCycle{TVisitor}"/>).</summary>
public interface ILiveProcVisitor
{
    void Visit(TrackedProc proc);
}
