using System.Runtime.InteropServices;
using ProcActors.Procfs;

namespace ProcActors.Tracking.Exits;

/// <summary>
/// With taskstats, the CPU of an exit that no record holds. The kernel writes a task's record (do_exit →
/// taskstats_exit) before the task tears down its memory and files; that teardown is in its parent's reaped-children
/// CPU (cutime/cstime, exact, updated when the parent waits for it) and in no record: ~10 % of a small forked
/// program's life here. For every tracked process that reaps children (a reaper), this ledger keeps what of its
/// reaped-children CPU the records explain:
/// - a child's record explains its whole own CPU (its threads' included) plus everything its own reaped-children CPU
///   had when it went: what its records and scans explained of it, and the part from before the agent saw it;
/// - what the reaper's cutime + cstime grew by beyond what is explained is the teardown (and the work of records
///   lost): it goes to the groups of the children reaped since the last time, in proportion to their records (to
///   the reaper's own group when none is known), as CPU only;
/// - what a reaper had reaped before it was first seen is explained by definition (it is history, or its children's
///   records it was credited with).
/// Explained only grows: when records run ahead of the reaping (a zombie not yet waited for), nothing is added until
/// the reaping catches up; a child reaped between the drain of the records and the read of its reaper's stat is
/// added once as teardown and its record then absorbs the next teardowns, so the total is off by at most one such
/// child, never by a sum. Only tracked reapers are followed (an ignored parent's stat is not read every scan): the
/// teardown of children of an ignored parent stays uncounted. Sits between the scanner and the real sink.
/// </summary>
public sealed class ExitTeardownSink(int ticksPerSecond) : IReaperSink
{
    /// <summary>Scans a reaper that is gone (or a pid credited before it was seen) is kept for its record to come.</summary>
    private const int KeepScans = 3;

    private readonly ulong _nanosPerTick = 1_000_000_000ul / (ulong)ticksPerSecond;
    private readonly Dictionary<int, Reaper> _reapers = [];
    private readonly Dictionary<string, ProcCounts> _added = new(StringComparer.Ordinal);
    private readonly List<int> _gone = [];
    private IProcSink? _inner;
    private long _scan;

    /// <summary>Processes followed now (tracked reapers, gone ones kept a few scans, and pids credited before they were seen).</summary>
    public int Count => _reapers.Count;

    /// <summary>CPU added as teardown so far, in nanoseconds.</summary>
    public ulong AddedNanos { get; private set; }

    public void BeginScan(IProcSink inner)
    {
        _inner = inner;
        _scan++;
    }

    public void Observe(in ProcSample sample)
    {
        _inner!.Observe(sample);
        if (sample.Kind != SampleKind.Read)
        {
            // Alive but not read (or leaving its group, its reading follows): kept as it is.
            if (_reapers.TryGetValue(sample.Id.Pid, out var unread)) unread.Scan = _scan;
            return;
        }
        ref readonly var m = ref sample.Metrics;
        var user = m.ReapedChildrenUserTicks * _nanosPerTick;
        var system = m.ReapedChildrenSystemTicks * _nanosPerTick;
        ref var reaper = ref CollectionsMarshal.GetValueRefOrAddDefault(_reapers, sample.Id.Pid, out var known);
        if (known && reaper!.Id is { } id && id != sample.Id)
        {
            // The pid was reused: the one before is gone (its record, if still to come, finds the pid taken).
            known = false;
        }
        if (!known || reaper!.Id is null)
        {
            // Credited before it was seen (children reaped since it started), or seen for the first time.
            var credited = known && reaper!.Id is null ? reaper : null;
            reaper = new Reaper
            {
                Id = sample.Id,
                // A process already running when it is first seen: what it reaped before is history.
                Explained = sample.CountFromStart ? credited?.Explained ?? 0 : user + system,
                Weights = credited?.Weights,
                User = user,
                System = system,
            };
        }
        reaper.Group = sample.Group;
        reaper.NowUser = Math.Max(reaper.User, user);
        reaper.NowSystem = Math.Max(reaper.System, system);
        reaper.Scan = _scan;
    }

    /// <summary>
    /// A process's exit record (its threads rolled up), whatever its group, even none (an ignored child is in its
    /// reaper's cutime too). <paramref name="group"/> is the group its record went to, null when none.
    /// </summary>
    public void Exited(int pid, int parentPid, ulong cpuNanos, string? group)
    {
        var carry = 0ul;
        if (_reapers.Remove(pid, out var self))
            carry = Math.Max(self.Explained, self.NowUser + self.NowSystem);
        var amount = cpuNanos + carry;
        if (parentPid <= 0 || parentPid == pid || amount == 0) return;
        ref var parent = ref CollectionsMarshal.GetValueRefOrAddDefault(_reapers, parentPid, out _);
        // A parent not seen yet is credited under its pid, until a scan sees it or it is gone a few scans.
        parent ??= new Reaper { Scan = _scan };
        parent.Explained += amount;
        if (group is not null) Weigh(parent, group, cpuNanos);
        // The groups of what the child reaped itself, so that their teardown goes to them through an ignored parent.
        if (self?.Weights is { Count: > 0 } inner)
        {
            foreach (var (innerGroup, weight) in inner) Weigh(parent, innerGroup, weight);
        }
    }

    private static void Weigh(Reaper reaper, string group, ulong weight)
    {
        reaper.Weights ??= new Dictionary<string, ulong>(StringComparer.Ordinal);
        reaper.Weights[group] = reaper.Weights.GetValueOrDefault(group) + weight;
    }

    /// <summary>
    /// After the scan (a listing that failed sees nobody go, so pass <paramref name="listed"/> false): each reaper's
    /// growth beyond what is explained is appended as teardown CPU of its children's groups.
    /// </summary>
    /// <param name="registry">The processes the scan listed, ignored ones included: a pid credited by its children's
    /// records is kept while it lives (an ignored parent's exit must carry what its children explained of it up to
    /// a tracked grandparent, or that grandparent would count those children again).</param>
    public void EndScan(bool listed, ProcRegistry registry, List<ProcExit> into)
    {
        _added.Clear();
        _gone.Clear();
        foreach (var (pid, reaper) in _reapers)
        {
            if (reaper.Scan != _scan)
            {
                if (!listed) continue;
                if (reaper.Id is null && registry.TryGetByPid(pid, out _, out _)) reaper.Scan = _scan;
                // Gone, or credited and not alive: kept a few scans for a record that comes late.
                else if (_scan - reaper.Scan >= KeepScans) _gone.Add(pid);
                continue;
            }
            var grownUser = reaper.NowUser - reaper.User;
            var grownSystem = reaper.NowSystem - reaper.System;
            reaper.User = reaper.NowUser;
            reaper.System = reaper.NowSystem;
            var now = reaper.NowUser + reaper.NowSystem;
            if (now <= reaper.Explained) continue;
            var gap = now - reaper.Explained;
            reaper.Explained = now;
            Distribute(reaper, gap, grownUser, grownSystem);
        }
        foreach (var pid in _gone) _reapers.Remove(pid);
        foreach (var (group, added) in _added)
            into.Add(new ProcExit { Group = group, Kind = ExitKind.Teardown, Totals = added });
    }

    private void Distribute(Reaper reaper, ulong gap, ulong grownUser, ulong grownSystem)
    {
        AddedNanos += gap;
        // Split as the reaper's reaped CPU grew in this interval (as its totals, when it did not).
        var (u, s) = grownUser + grownSystem > 0 ? (grownUser, grownSystem) : (reaper.NowUser, reaper.NowSystem);
        var systemPart = u + s == 0 ? 0 : (ulong)((UInt128)gap * s / (u + s));
        var weights = reaper.Weights is { Count: > 0 } recent ? recent : reaper.LastWeights;
        if (weights is not { Count: > 0 })
        {
            Add(reaper.Group!, gap - systemPart, systemPart);
            return;
        }
        var total = 0ul;
        foreach (var weight in weights.Values) total += weight;
        ulong userLeft = gap - systemPart, systemLeft = systemPart;
        var i = 0;
        foreach (var (group, weight) in weights)
        {
            // The last group takes what rounding left, so that nothing is lost.
            var last = ++i == weights.Count;
            var userShare = last ? userLeft : (ulong)((UInt128)(gap - systemPart) * weight / total);
            var systemShare = last ? systemLeft : (ulong)((UInt128)systemPart * weight / total);
            userLeft -= userShare;
            systemLeft -= systemShare;
            Add(group, userShare, systemShare);
        }
        if (ReferenceEquals(weights, reaper.Weights))
        {
            (reaper.LastWeights, reaper.Weights) = (reaper.Weights, reaper.LastWeights);
            reaper.Weights?.Clear();
        }
    }

    private void Add(string group, ulong userNanos, ulong systemNanos)
    {
        ref var added = ref CollectionsMarshal.GetValueRefOrAddDefault(_added, group, out _);
        added.CpuUserTicks += userNanos;
        added.CpuSystemTicks += systemNanos;
    }

    private sealed class Reaper
    {
        /// <summary>Null while the pid has only been credited by its children's records, not seen by a scan.</summary>
        public ProcId? Id;
        public string? Group;
        /// <summary>Of the reaped-children CPU, in nanoseconds, what is accounted for: history, records, teardown added.</summary>
        public ulong Explained;
        /// <summary>Reaped-children CPU at the last scan and at this one, in nanoseconds.</summary>
        public ulong User, System, NowUser, NowSystem;
        /// <summary>The groups of the children reaped since teardown was last added, by their records' CPU; and the ones before.</summary>
        public Dictionary<string, ulong>? Weights, LastWeights;
        public long Scan;
    }
}
