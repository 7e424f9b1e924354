using System.Collections;
using System.Runtime.CompilerServices;
using ProcActors.Procfs;
using ProcActors.Tracking.Exits;

namespace ProcActors.Tracking;

/// <summary>
/// Accumulates CPU, IO, faults and context switches of the processes it is given (all of them, or one group actor's
/// share), the counting half of the seed's Tracker.Update, and totals them per group.
/// A process first seen while already running counts only what it does from then on; one that started after the
/// previous scan counts everything it did. A counter that goes backwards never yields a negative or wrapped delta.
/// Processes not observed in a cycle have exited: they are dropped, and their group keeps their counts.
/// The gauges are added up as the processes are observed, while each one is in the cache; the end of a cycle then only
/// drops the processes not seen, from the table's own entries, without reading the processes again (at 10,000
/// processes that second pass was a fifth of the pipeline's profile). Should a process be dropped or read again after
/// its gauges were added (an exit record after its sample, a second sample in one cycle), the end of the cycle adds
/// them up again from the processes that lived through it.
/// </summary>
public sealed class Tracker : IProcSink
{
    private readonly ScanOrderTable<Slot> _procs = new();
    private readonly Dictionary<string, GroupAccumulator> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<ProcId, ProcCounts> _baselines = [];
    /// <summary>Restored baselines not claimed by the end of this cycle belong to processes that exited meanwhile.</summary>
    private long _baselinesUntilCycle;
    private readonly bool _removeEmptyGroups;
    private readonly ExitLedger _exits = new(ClockTicks.PerSecond);
    private long _cycle;
    /// <summary>A process whose gauges were added this cycle was dropped or read again since: add them up again at the end.</summary>
    private bool _liveChanged;

    /// <param name="removeEmptyGroups">Forget a group once it has no members (process-exporter's -remove-empty-groups).</param>
    public Tracker(bool removeEmptyGroups = false) => _removeEmptyGroups = removeEmptyGroups;

    /// <summary>Forgets a group once it has no members (process-exporter's -remove-empty-groups).</summary>
    public bool RemovesEmptyGroups => _removeEmptyGroups;

    /// <summary>Processes tracked now.</summary>
    public int Count => _procs.Count;

    /// <summary>Counter fields seen going backwards, clamped to a zero delta.</summary>
    public long BackwardsCounters { get; private set; }

    /// <summary>The processes tracked now (iterating them allocates nothing).</summary>
    public ProcCollection Procs => new(_procs);

    /// <summary>
    /// Whether the processes <see cref="Observe"/> returned in this cycle are still exactly those tracked and seen in
    /// it, each as it was when returned. False once one of them was dropped (an exit record, a move to another group)
    /// or read again: a caller that kept what Observe returned rebuilds it from <see cref="EndCycle{TVisitor}"/>.
    /// </summary>
    public bool LiveAsObserved => !_liveChanged;

    /// <summary>Exited and departed processes remembered to match records with scans (bounded by a few cycles' exits).</summary>
    public int RememberedExits => _exits.Remembered;

    public void BeginCycle()
    {
        _cycle++;
        _liveChanged = false;
        _procs.Tidy();
        _exits.BeginCycle();
        foreach (var group in _groups.Values) group.BeginGauges();
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
        for (var i = 0; i < _procs.Slots; i++)
        {
            if (!_procs.IsLive(i)) continue;
            var proc = _procs.ValueAt(i).Proc;
            if (proc.CountedFromStart || !ReferenceEquals(proc.Group, accumulator)) continue;
            if (baselines.TryGetValue(proc.Id, out var saved)) proc.AddEarlier(CountsMath.Delta(proc.FirstCounts, saved, ref backwards));
            else if (savedScanUptimeTicks is { } uptime && proc.Id.StartTicks > uptime) proc.AddEarlier(proc.FirstCounts);
        }
        BackwardsCounters += backwards;
    }

    void IProcSink.Observe(in ProcSample sample) => Observe(sample);

    /// <summary>How many processes ahead the cache is asked for the one the scan will meet (see <see cref="CachePrefetch"/>).</summary>
    /// <remarks>
    /// 4: the time of ~4 processes' work covers a miss to memory. Measured at 10,000 processes (a tracker per group,
    /// the cache flushed between cycles): 79 ns a process without, 62-65 with a distance of 4 or 8.
    /// </remarks>
    private const int PrefetchDistance = 4;

    /// <summary>
    /// Counts a sample. Returns the process when this sample made it live in this cycle (its first sample in the cycle,
    /// and it stays tracked), so that a caller can note what it needs of each live process while it is in the cache;
    /// null otherwise.
    /// </summary>
    public TrackedProc? Observe(in ProcSample sample)
    {
        // Its exit record came first (a zombie, or a sample read just before the exit): the record counted it all.
        if (_exits.Remembered > 0 && _exits.HasExited(sample.Id)) return null;
        var backwards = 0;
        ref var slot = ref _procs.Find(sample.Id);
        TrackedProc proc;
        if (!Unsafe.IsNullRef(ref slot))
        {
            ref var ahead = ref _procs.Ahead(PrefetchDistance);
            if (!Unsafe.IsNullRef(ref ahead)) CachePrefetch.Object(ahead.Proc, CachePrefetch.TrackedProcBytes);
            proc = slot.Proc;
            var first = slot.LastSeen != _cycle;
            // Its gauges are in already: a second sample in one cycle changes them.
            if (!first) _liveChanged = true;
            slot.LastSeen = _cycle;
            if (sample.Kind == SampleKind.Unread)
            {
                // Alive but not readable this time: kept as it was, so its next reading continues from the last.
                if (!first) return null;
                proc.Group.AddGauges(proc);
                return proc;
            }
            proc.Update(sample.Metrics, ref backwards);
            BackwardsCounters += backwards;
            if (sample.Kind == SampleKind.Leaving)
            {
                _procs.Remove(sample.Id, out _);
                return null;
            }
            if (!first) return null;
            proc.Group.AddGauges(proc);
            return proc;
        }
        if (sample.Kind != SampleKind.Read)
        {
            // Not tracked here (exited from our view, or restored and not read yet): nothing to keep or count.
            return null;
        }
        if (_baselines.Remove(sample.Id, out var baseline))
        {
            var previous = sample.Metrics;
            previous.Counts = baseline;
            previous.Threads = null;
            previous.Missing = MissingParts.None;
            proc = new TrackedProc(sample.Id, Group(sample.Group), sample.Static, previous, countFromStart: false);
            proc.Update(sample.Metrics, ref backwards);
            BackwardsCounters += backwards;
        }
        else
        {
            proc = new TrackedProc(sample.Id, Group(sample.Group), sample.Static, sample.Metrics, sample.CountFromStart);
        }
        _procs.Add(sample.Id, new Slot(proc, _cycle));
        proc.Group.AddGauges(proc);
        return proc;
    }

    /// <summary>A process's exit record: adds what it shows beyond what the scans counted, and ends its tracking.</summary>
    public void ObserveExit(in ProcExit exit)
    {
        TrackedProc? tracked = null;
        if (exit.Kind == ExitKind.Process && exit.Tracked is { } id && _procs.Remove(id, out var slot))
        {
            tracked = slot.Proc;
            // Seen in this cycle before its record came: its gauges are in and must come out.
            if (slot.LastSeen == _cycle) _liveChanged = true;
        }
        _exits.Apply(exit, tracked, tracked?.Group ?? Group(exit.Group));
    }

    /// <summary>Drops the processes not observed in this cycle and returns every group's totals.</summary>
    public IReadOnlyList<GroupStats> EndCycle()
    {
        var none = default(NoVisitor);
        return EndCycle(ref none, visitAll: false);
    }

    /// <summary>
    /// Drops the processes not observed in this cycle, shows each process still tracked to
    /// <paramref name="live"/> and returns every group's totals.
    /// </summary>
    public IReadOnlyList<GroupStats> EndCycle<TVisitor>(scoped ref TVisitor live) where TVisitor : ILiveProcVisitor, allows ref struct =>
        EndCycle(ref live, visitAll: true);

    private IReadOnlyList<GroupStats> EndCycle<TVisitor>(scoped ref TVisitor live, bool visitAll) where TVisitor : ILiveProcVisitor, allows ref struct
    {
        if (_cycle >= _baselinesUntilCycle) _baselines.Clear();
        // The gauges were added as the processes were observed; again, from those that lived through the cycle, only
        // when one whose gauges were in has gone or changed since.
        var regauge = _liveChanged;
        if (regauge)
        {
            foreach (var group in _groups.Values) group.BeginGauges();
        }
        // One pass over the table's entries: the processes themselves are read only to be shown or gauged again.
        for (var i = 0; i < _procs.Slots; i++)
        {
            if (!_procs.IsLive(i)) continue;
            var slot = _procs.ValueAt(i);
            if (slot.LastSeen != _cycle)
            {
                _procs.RemoveAt(i);
                _exits.Depart(slot.Proc);
                continue;
            }
            if (regauge) slot.Proc.Group.AddGauges(slot.Proc);
            if (visitAll) live.Visit(slot.Proc);
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

    /// <summary>A tracked process and the cycle it was last seen in, kept in the table itself: the end of a cycle finds the unseen without reading the processes.</summary>
    internal struct Slot(TrackedProc proc, long lastSeen)
    {
        public readonly TrackedProc Proc = proc;
        public long LastSeen = lastSeen;
    }

    /// <summary>The processes a tracker holds now; iterating them allocates nothing.</summary>
    public readonly struct ProcCollection : IReadOnlyCollection<TrackedProc>
    {
        private readonly ScanOrderTable<Slot> _procs;

        internal ProcCollection(ScanOrderTable<Slot> procs) => _procs = procs;

        public int Count => _procs.Count;

        public Enumerator GetEnumerator() => new(_procs);

        IEnumerator<TrackedProc> IEnumerable<TrackedProc>.GetEnumerator() => GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public struct Enumerator : IEnumerator<TrackedProc>
        {
            private readonly ScanOrderTable<Slot> _procs;
            private int _slot;

            internal Enumerator(ScanOrderTable<Slot> procs)
            {
                _procs = procs;
                _slot = -1;
            }

            public readonly TrackedProc Current => _procs.ValueAt(_slot).Proc;

            readonly object IEnumerator.Current => Current;

            public bool MoveNext()
            {
                while (++_slot < _procs.Slots)
                {
                    if (_procs.IsLive(_slot)) return true;
                }
                return false;
            }

            public readonly void Dispose()
            {
            }

            void IEnumerator.Reset() => _slot = -1;
        }
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
