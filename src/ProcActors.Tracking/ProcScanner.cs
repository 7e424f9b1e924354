using ProcActors.Procfs;
using ProcActors.Tracking.Grouping;

namespace ProcActors.Tracking;

/// <summary>How new processes are named (process-exporter's -children, -recheck, -recheck-with-time-limit).</summary>
public sealed record ScannerOptions
{
    /// <summary>An unmatched process joins the group of its nearest tracked ancestor.</summary>
    public bool Children { get; init; } = true;

    /// <summary>Name every process again on every scan: its cmdline may have changed (costs a static read per process).</summary>
    public bool Recheck { get; init; }

    /// <summary>Name a process again on every scan while it is younger than this; zero turns it off.</summary>
    public TimeSpan RecheckTimeLimit { get; init; }

    /// <summary>
    /// Keep only the program of a command line past naming (--redact-cmdline): rules still match the arguments, but
    /// nothing downstream (the Ask API, the page) holds them — they may carry passwords and tokens.
    /// </summary>
    public bool RedactCmdline { get; init; }
}

/// <summary>What one scan saw and could not read.</summary>
public sealed record ScanResult
{
    /// <summary>Set when the process table could not be listed at all (process-exporter's scrape error).</summary>
    public string? Error { get; init; }
    public int Listed { get; init; }
    public int Observed { get; init; }
    public int New { get; init; }
    public int Exited { get; init; }
    public int Vanished { get; init; }
    public int PermissionErrors { get; init; }
    public int ReadErrors { get; init; }
    public int PartialErrors { get; init; }
    /// <summary>The source's clock at the start of this scan (process start times are compared with it).</summary>
    public ulong? UptimeTicks { get; init; }
    public long? BootTimeSeconds { get; init; }
}

/// <summary>
/// One pass over a process source, the scanning half of the seed's Tracker.Update: identifies each process by
/// (pid, start time), reads the metrics of those tracked, reads the static facts of new ones once, names them
/// (grouping rules, then — for the unmatched — the group of their nearest tracked ancestor), and hands every
/// tracked process to the sink. Unreadable processes are ignored until they exit; exited ones are forgotten.
/// </summary>
public sealed class ProcScanner(IProcNamer namer, ScannerOptions? options = null)
{
    private readonly ScannerOptions _options = options ?? new ScannerOptions();
    private readonly List<Pending> _pending = [];
    private readonly Dictionary<int, int> _pendingByPid = [];
    private ulong? _previousUptime;
    private ProcMetrics _metrics;
    private IProcNamer _namer = namer;
    private bool _renameAll;

    public ProcRegistry Registry { get; } = new();

    /// <summary>
    /// Continues after a restart on the same boot: a process that started after the last scan before the restart
    /// counts everything it did, like one born between two scans.
    /// </summary>
    public void Resume(ulong previousUptimeTicks) => _previousUptime = previousUptimeTicks;

    /// <summary>
    /// A reloaded configuration: the next scan names every process again, as a recheck does, so a process whose
    /// group is unchanged continues in it and one the new rules name otherwise moves (its past stays in the old group).
    /// Not to be called during a scan.
    /// </summary>
    public void ReplaceNamer(IProcNamer replacement)
    {
        _namer = replacement;
        _renameAll = true;
    }

    public ScanResult Scan(IProcSource source, IProcSink sink)
    {
        if (!source.BeginScan(out var start, out var error))
            return new ScanResult { Error = error, UptimeTicks = _previousUptime, BootTimeSeconds = source.BootTimeSeconds };
        Registry.BeginCycle();
        var renameAll = _renameAll;
        _renameAll = false;
        _pending.Clear();
        _pendingByPid.Clear();
        int listed = 0, observed = 0, vanished = 0, permission = 0, failed = 0, partial = 0;

        while (source.MoveNext())
        {
            listed++;
            if (!Counted(source.CurrentStatus, ref vanished, ref permission, ref failed))
            {
                // A stat that failed to read or parse does not mean the process is gone: keep a tracked one as it was.
                if (source.CurrentStatus == ReadStatus.Failed) KeepUnread(sink, Registry.TouchByPid(source.Current.Pid));
                continue;
            }
            var id = source.Current;
            var known = Registry.TryTouch(id, out var group);
            var trackedAs = known ? group : null;
            // A process to name again is read as if new: a changed name makes it a member of another group.
            if (known && (renameAll || ShouldRecheck(id, start.UptimeTicks))) known = false;
            else if (known && group is null) continue;

            var status = source.ReadMetrics(ref _metrics);
            if (status == ReadStatus.PermissionDenied) Registry.Ignore(id);
            if (!Counted(status, ref vanished, ref permission, ref failed))
            {
                if (status == ReadStatus.Failed) KeepUnread(sink, trackedAs is null ? null : (id, trackedAs));
                continue;
            }
            if (status == ReadStatus.Partial) partial++;

            if (known)
            {
                var sample = new ProcSample { Id = id, Group = group!, Metrics = _metrics };
                sink.Observe(sample);
                observed++;
                continue;
            }

            status = source.ReadStatic(out var facts);
            if (status == ReadStatus.PermissionDenied) Registry.Ignore(id);
            if (!Counted(status, ref vanished, ref permission, ref failed))
            {
                if (status == ReadStatus.Failed) KeepUnread(sink, trackedAs is null ? null : (id, trackedAs));
                continue;
            }
            _pendingByPid[id.Pid] = _pending.Count;
            _pending.Add(new Pending(facts!, Detach(_metrics)) { TrackedAs = trackedAs });
        }

        var fresh = NameAndObserveNew(sink, start.UptimeTicks);
        var exited = Registry.EndCycle();
        _previousUptime = start.UptimeTicks;
        return new ScanResult
        {
            Listed = listed,
            Observed = observed + fresh,
            New = fresh,
            Exited = exited,
            Vanished = vanished,
            PermissionErrors = permission,
            ReadErrors = failed,
            PartialErrors = partial,
            UptimeTicks = start.UptimeTicks,
            BootTimeSeconds = source.BootTimeSeconds,
        };
    }

    /// <summary>A tracked process that is alive but unreadable this time: its tracker keeps it as it was.</summary>
    private static void KeepUnread(IProcSink sink, (ProcId Id, string Group)? tracked)
    {
        if (tracked is { } t) sink.Observe(new ProcSample { Id = t.Id, Group = t.Group, Kind = SampleKind.Unread });
    }

    private bool ShouldRecheck(ProcId id, ulong? uptimeNow)
    {
        if (_options.Recheck) return true;
        if (_options.RecheckTimeLimit <= TimeSpan.Zero || uptimeNow is not { } now || now < id.StartTicks) return false;
        return TimeSpan.FromSeconds((double)(now - id.StartTicks) / ClockTicks.PerSecond) < _options.RecheckTimeLimit;
    }

    /// <summary>Counts a failed read; true when the process can be used.</summary>
    private static bool Counted(ReadStatus status, ref int vanished, ref int permission, ref int failed)
    {
        switch (status)
        {
            case ReadStatus.Ok or ReadStatus.Partial: return true;
            case ReadStatus.Vanished: vanished++; return false;
            case ReadStatus.PermissionDenied: permission++; return false;
            default: failed++; return false;
        }
    }

    /// <summary>New processes are named after the whole table is read, so that a child can find a parent seen later in the same scan.</summary>
    private int NameAndObserveNew(IProcSink sink, ulong? uptimeNow)
    {
        foreach (var pending in _pending) pending.Group = _namer.Name(pending.Static);
        if (_options.Children)
        {
            foreach (var pending in _pending) pending.Group ??= InheritedGroup(pending, depth: 0);
        }

        var observed = 0;
        foreach (var pending in _pending)
        {
            Registry.Add(pending.Static.Id, pending.Group);
            var renamed = pending.TrackedAs is { } old && !string.Equals(old, pending.Group, StringComparison.Ordinal);
            // Renamed by a recheck: its old group counts up to this reading and lets it go; its new group (if any)
            // starts from the same reading, so the interval is counted once.
            if (renamed) sink.Observe(new ProcSample { Id = pending.Static.Id, Group = pending.TrackedAs!, Kind = SampleKind.Leaving, Metrics = pending.Metrics });
            if (pending.Group is null) continue;
            var sample = new ProcSample
            {
                Id = pending.Static.Id,
                Group = pending.Group,
                Static = _options.RedactCmdline && pending.Static.Cmdline.Count > 1
                    ? pending.Static with { Cmdline = [pending.Static.Cmdline[0]] }
                    : pending.Static,
                CountFromStart = pending.TrackedAs is null && _previousUptime is { } previous && pending.Static.Id.StartTicks > previous,
                Metrics = pending.Metrics,
            };
            sink.Observe(sample);
            observed++;
        }
        return observed;
    }

    private string? InheritedGroup(Pending child, int depth)
    {
        if (child.Resolved || depth > 64) return child.Group;
        child.Resolved = true;
        var parentPid = child.Static.ParentPid;
        if (parentPid <= 0 || parentPid == child.Static.Id.Pid) return child.Group;
        if (_pendingByPid.TryGetValue(parentPid, out var index))
        {
            var parent = _pending[index];
            child.Group ??= parent.Group ?? InheritedGroup(parent, depth + 1);
        }
        else if (Registry.TryGetByPid(parentPid, out _, out var group))
        {
            child.Group ??= group;
        }
        return child.Group;
    }

    /// <summary>Keeps a new process's metrics past the next read: the reader's thread buffer is reused.</summary>
    private static ProcMetrics Detach(ProcMetrics metrics)
    {
        if (metrics.Threads is not null) metrics.Threads = metrics.Threads.AsSpan(0, metrics.ThreadCount).ToArray();
        return metrics;
    }

    private sealed class Pending(ProcStatic facts, ProcMetrics metrics)
    {
        public ProcStatic Static { get; } = facts;
        public ProcMetrics Metrics = metrics;
        public string? Group;
        /// <summary>The group a rechecked process was tracked in until now; null for a process never tracked.</summary>
        public string? TrackedAs;
        public bool Resolved;
    }
}
