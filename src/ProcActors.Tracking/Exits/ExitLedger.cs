using ProcActors.Procfs;

namespace ProcActors.Tracking.Exits;

/// <summary>
/// The exit half of a group's accounting, so that a process's work is counted exactly once whichever comes first,
/// its exit record or its last scan:
/// - a tracked process's exit adds what the record shows beyond its last scanned counters, and ends its tracking;
/// - a process dropped by a scan that no longer saw it is remembered for a few cycles, for a record that comes late;
/// - any other process's exit adds its whole record (it lived and died unseen);
/// - an exited process is remembered for a few cycles, so that a scan that still sees it (a zombie not yet reaped,
///   a sample read before the exit) adds nothing more, and a second record of the same process (its threads
///   leaving after their leader) adds only what is new.
/// CPU arrives in nanoseconds and is turned into ticks here, the remainder carried to the group's next exit.
/// </summary>
internal sealed class ExitLedger(int ticksPerSecond)
{
    /// <summary>Cycles an exited or departed process is remembered: records and scans meet within one or two.</summary>
    private const int RememberCycles = 3;

    private readonly ulong _nanosPerTick = 1_000_000_000ul / (ulong)ticksPerSecond;
    private readonly Dictionary<ProcId, Exited> _exited = [];
    private readonly Dictionary<int, Exited> _exitedUnseen = [];
    private readonly Dictionary<int, Departed> _departed = [];
    private readonly Dictionary<string, GroupExits> _groups = new(StringComparer.Ordinal);
    private long _cycle;

    /// <summary>Exited processes and departed ones remembered now (bounded by the exits of the last few cycles).</summary>
    public int Remembered => _exited.Count + _exitedUnseen.Count + _departed.Count;

    public void BeginCycle() => _cycle++;

    /// <summary>Whether a scanned process already exited by its record: its sample must add nothing.</summary>
    public bool HasExited(ProcId id) =>
        _exited.ContainsKey(id) || (_exitedUnseen.TryGetValue(id.Pid, out var unseen) && unseen.Exit.Matches(id));

    /// <summary>A tracked process a scan no longer saw: its record may still come.</summary>
    public void Depart(TrackedProc proc) =>
        _departed[proc.Id.Pid] = new Departed(proc.Id, proc.Group, Nanos(proc.Latest.Counts)) { Cycle = _cycle };

    /// <summary>Applies an exit, given the tracked process it ends (removed from tracking by the caller) if any.</summary>
    public void Apply(in ProcExit exit, TrackedProc? tracked, GroupAccumulator group)
    {
        if (exit.Kind != ExitKind.Process)
        {
            // The children fallback's CPU is work of processes never seen; teardown belongs to records already counted.
            AddCpu(group, exit.Totals, unseen: exit.Kind == ExitKind.ReapedChildren);
            return;
        }
        if (tracked is not null)
        {
            Add(group, exit, Nanos(tracked.Latest.Counts), previous: default, unseen: false);
            _exited[tracked.Id] = new Exited(exit, Nanos(tracked.Latest.Counts), exit.Totals) { Cycle = _cycle };
            return;
        }
        if (_departed.TryGetValue(exit.Pid, out var departed) && exit.Matches(departed.Id))
        {
            _departed.Remove(exit.Pid);
            Add(departed.Group, exit, departed.Baseline, previous: default, unseen: false);
            _exited[departed.Id] = new Exited(exit, departed.Baseline, exit.Totals) { Cycle = _cycle };
            return;
        }
        var known = exit.Tracked is { } id
            ? _exited.TryGetValue(id, out var byId) ? byId : null
            : _exitedUnseen.TryGetValue(exit.Pid, out var byPid) && Overlaps(byPid.Exit, exit) ? byPid : null;
        if (known is not null)
        {
            var totals = known.Totals;
            CountsMath.Add(ref totals, exit.Totals);
            var cumulative = exit;
            cumulative.Totals = totals;
            Add(group, cumulative, known.Baseline, known.Totals, unseen: false);
            known.Totals = totals;
            known.Cycle = _cycle;
            return;
        }
        Add(group, exit, baseline: default, previous: default, unseen: true);
        var exited = new Exited(exit, default, exit.Totals) { Cycle = _cycle };
        if (exit.Tracked is { } trackedId) _exited[trackedId] = exited;
        else _exitedUnseen[exit.Pid] = exited;
    }

    /// <summary>Forgets what is older than a few cycles.</summary>
    public void EndCycle()
    {
        foreach (var (id, exited) in _exited)
        {
            if (_cycle - exited.Cycle >= RememberCycles) _exited.Remove(id);
        }
        foreach (var (pid, exited) in _exitedUnseen)
        {
            if (_cycle - exited.Cycle >= RememberCycles) _exitedUnseen.Remove(pid);
        }
        foreach (var (pid, departed) in _departed)
        {
            if (_cycle - departed.Cycle >= RememberCycles) _departed.Remove(pid);
        }
    }

    public ShortLivedStats ShortLived(string group) =>
        _groups.TryGetValue(group, out var exits) ? new ShortLivedStats(exits.Unseen, (double)exits.UnseenCpuNanos / 1e9, exits.Records) : default;

    /// <summary>
    /// Adds, per counter, what the exit's cumulative totals show beyond both the last scanned value and what earlier
    /// records of the same process already added.
    /// </summary>
    private void Add(GroupAccumulator group, in ProcExit exit, in ProcCounts baseline, in ProcCounts previous, bool unseen)
    {
        var exits = Exits(group.Name);
        exits.Records++;
        var floor = Max(baseline, previous);
        var ignored = 0;
        var added = CountsMath.Delta(Max(exit.Totals, floor), floor, ref ignored);
        CpuBeyond(exit.Totals, baseline, previous, out added.CpuUserTicks, out added.CpuSystemTicks);
        if (unseen)
        {
            exits.Unseen++;
            exits.UnseenCpuNanos += added.CpuUserTicks + added.CpuSystemTicks;
        }
        exits.UserCarry += added.CpuUserTicks;
        exits.SystemCarry += added.CpuSystemTicks;
        added.CpuUserTicks = exits.UserCarry / _nanosPerTick;
        added.CpuSystemTicks = exits.SystemCarry / _nanosPerTick;
        exits.UserCarry %= _nanosPerTick;
        exits.SystemCarry %= _nanosPerTick;
        group.AddCounts(added);
    }

    private void AddCpu(GroupAccumulator group, in ProcCounts totals, bool unseen)
    {
        var exits = Exits(group.Name);
        if (unseen) exits.UnseenCpuNanos += totals.CpuUserTicks + totals.CpuSystemTicks;
        exits.UserCarry += totals.CpuUserTicks;
        exits.SystemCarry += totals.CpuSystemTicks;
        var added = new ProcCounts { CpuUserTicks = exits.UserCarry / _nanosPerTick, CpuSystemTicks = exits.SystemCarry / _nanosPerTick };
        exits.UserCarry %= _nanosPerTick;
        exits.SystemCarry %= _nanosPerTick;
        group.AddCounts(added);
    }

    private GroupExits Exits(string group)
    {
        if (!_groups.TryGetValue(group, out var exits))
        {
            exits = new GroupExits();
            _groups.Add(group, exits);
        }
        return exits;
    }

    /// <summary>
    /// The CPU a record shows beyond both the last scanned reading and earlier records of the process, compared on
    /// user + system: a scan's split of the runtime and the record's need not agree (the tick samples they split by
    /// differ), and comparing each part on its own would add user time the process never had whenever the split
    /// moved. What is beyond is split as the record splits.
    /// </summary>
    private static void CpuBeyond(in ProcCounts totals, in ProcCounts baseline, in ProcCounts previous, out ulong userNanos, out ulong systemNanos)
    {
        var recorded = totals.CpuUserTicks + totals.CpuSystemTicks;
        var counted = Math.Max(baseline.CpuUserTicks + baseline.CpuSystemTicks, previous.CpuUserTicks + previous.CpuSystemTicks);
        if (recorded <= counted)
        {
            userNanos = systemNanos = 0;
            return;
        }
        var beyond = recorded - counted;
        systemNanos = (ulong)((UInt128)beyond * totals.CpuSystemTicks / recorded);
        userNanos = beyond - systemNanos;
    }

    private static bool Overlaps(in ProcExit a, in ProcExit b) => a.StartTicksLow <= b.StartTicksHigh && b.StartTicksLow <= a.StartTicksHigh;

    private ProcCounts Nanos(in ProcCounts scanned)
    {
        var counts = scanned;
        counts.CpuUserTicks *= _nanosPerTick;
        counts.CpuSystemTicks *= _nanosPerTick;
        return counts;
    }

    private static ProcCounts Max(in ProcCounts a, in ProcCounts b) => new()
    {
        CpuUserTicks = Math.Max(a.CpuUserTicks, b.CpuUserTicks),
        CpuSystemTicks = Math.Max(a.CpuSystemTicks, b.CpuSystemTicks),
        ReadBytes = Math.Max(a.ReadBytes, b.ReadBytes),
        WriteBytes = Math.Max(a.WriteBytes, b.WriteBytes),
        MajorPageFaults = Math.Max(a.MajorPageFaults, b.MajorPageFaults),
        MinorPageFaults = Math.Max(a.MinorPageFaults, b.MinorPageFaults),
        VoluntaryCtxSwitches = Math.Max(a.VoluntaryCtxSwitches, b.VoluntaryCtxSwitches),
        NonvoluntaryCtxSwitches = Math.Max(a.NonvoluntaryCtxSwitches, b.NonvoluntaryCtxSwitches),
    };

    private sealed class Exited(ProcExit exit, ProcCounts baseline, ProcCounts totals)
    {
        public ProcExit Exit { get; } = exit;
        public ProcCounts Baseline { get; } = baseline;
        public ProcCounts Totals = totals;
        public long Cycle;
    }

    private sealed class Departed(ProcId id, GroupAccumulator group, ProcCounts baseline)
    {
        public ProcId Id { get; } = id;
        public GroupAccumulator Group { get; } = group;
        public ProcCounts Baseline { get; } = baseline;
        public long Cycle;
    }

    private sealed class GroupExits
    {
        public long Unseen;
        public ulong UnseenCpuNanos;
        public long Records;
        public ulong UserCarry;
        public ulong SystemCarry;
    }
}
