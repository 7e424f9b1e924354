using ProcActors.Procfs;

namespace ProcActors.Tracking.Exits;

/// <summary>
/// The exit fallback without taskstats (--exit-accounting children): a parent's stat reports the CPU of the children
/// it waited for (cutime/cstime, their own reaped descendants included). What it grows by between two scans goes to
/// the parent's group, less what the scans already counted of those children while they were tracked, so that a
/// child is not counted twice. The lesser guarantee: CPU only (no IO, faults or switches), and only for children
/// that were waited for by a tracked parent (an orphan's CPU goes to whoever reaps it).
/// Sits between the scanner and the real sink, seeing every sample of the scan.
/// </summary>
public sealed class ReapedChildrenSink(int ticksPerSecond) : IReaperSink
{
    private readonly ulong _nanosPerTick = 1_000_000_000ul / (ulong)ticksPerSecond;
    private readonly Dictionary<ProcId, Entry> _procs = [];
    private readonly Dictionary<int, ProcId> _byPid = [];
    private readonly Dictionary<string, ProcCounts> _added = new(StringComparer.Ordinal);
    private IProcSink? _inner;
    private long _scan;

    /// <summary>Processes followed now.</summary>
    public int Count => _procs.Count;

    public void BeginScan(IProcSink inner)
    {
        _inner = inner;
        _scan++;
    }

    public void Observe(in ProcSample sample)
    {
        _inner!.Observe(sample);
        ref readonly var m = ref sample.Metrics;
        var own = m.Counts.CpuUserTicks + m.Counts.CpuSystemTicks;
        if (!_procs.TryGetValue(sample.Id, out var entry))
        {
            // Seen for the first time: children reaped before count only if the process itself is new since the last scan.
            var fromStart = sample.CountFromStart;
            entry = new Entry
            {
                ParentPid = sample.Static?.ParentPid ?? 0,
                OwnBaseline = fromStart ? 0 : own,
                UserTicks = fromStart ? 0 : m.ReapedChildrenUserTicks,
                SystemTicks = fromStart ? 0 : m.ReapedChildrenSystemTicks,
            };
            _procs[sample.Id] = entry;
            _byPid[sample.Id.Pid] = sample.Id;
        }
        entry.Group = sample.Group;
        entry.OwnCounted = own > entry.OwnBaseline ? own - entry.OwnBaseline : 0;
        entry.NowUser = Math.Max(entry.UserTicks, m.ReapedChildrenUserTicks);
        entry.NowSystem = Math.Max(entry.SystemTicks, m.ReapedChildrenSystemTicks);
        entry.Scan = _scan;
    }

    /// <summary>
    /// After the scan (a listing that failed sees nobody go, so pass <paramref name="listed"/> false): children that
    /// went credit what was counted of them to their parent, then each parent's growth beyond its credit is
    /// appended as an exit of its group.
    /// </summary>
    public void EndScan(bool listed, ProcRegistry registry, List<ProcExit> into)
    {
        if (listed)
        {
            foreach (var (id, entry) in _procs)
            {
                if (entry.Scan == _scan) continue;
                _procs.Remove(id);
                if (_byPid.TryGetValue(id.Pid, out var current) && current == id) _byPid.Remove(id.Pid);
                if (_byPid.TryGetValue(entry.ParentPid, out var parentId) && _procs.TryGetValue(parentId, out var parent))
                    parent.Credit += entry.OwnCounted + entry.ChildrenCounted;
            }
        }
        _added.Clear();
        foreach (var entry in _procs.Values)
        {
            var user = entry.NowUser - entry.UserTicks;
            var system = entry.NowSystem - entry.SystemTicks;
            entry.UserTicks = entry.NowUser;
            entry.SystemTicks = entry.NowSystem;
            if (user + system == 0) continue;
            // The part the scans already counted comes off, system time first (user time is the larger, mostly).
            var fromSystem = Math.Min(entry.Credit, system);
            system -= fromSystem;
            entry.Credit -= fromSystem;
            var fromUser = Math.Min(entry.Credit, user);
            user -= fromUser;
            entry.Credit -= fromUser;
            entry.ChildrenCounted += user + system;
            if (user + system == 0) continue;
            var added = _added.GetValueOrDefault(entry.Group!);
            added.CpuUserTicks += user * _nanosPerTick;
            added.CpuSystemTicks += system * _nanosPerTick;
            _added[entry.Group!] = added;
        }
        foreach (var (group, added) in _added)
            into.Add(new ProcExit { Group = group, Kind = ExitKind.ReapedChildren, Totals = added });
    }

    private sealed class Entry
    {
        public string? Group;
        public int ParentPid;
        public ulong OwnBaseline;
        /// <summary>What the scans counted of this process's own CPU.</summary>
        public ulong OwnCounted;
        /// <summary>What this fallback counted of its reaped children.</summary>
        public ulong ChildrenCounted;
        /// <summary>Of the children that went, what was already counted: their reaping adds nothing for it.</summary>
        public ulong Credit;
        public ulong UserTicks;
        public ulong SystemTicks;
        public ulong NowUser;
        public ulong NowSystem;
        public long Scan;
    }
}
