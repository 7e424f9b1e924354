using System.Diagnostics;
using System.Runtime.ExceptionServices;
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
    /// <summary>Reads that hung past the deadline in this scan (their processes were kept as they were).</summary>
    public int ReadTimeouts { get; init; }
    /// <summary>Processes skipped because an earlier read of theirs hung and has not returned.</summary>
    public int Quarantined { get; init; }
    /// <summary>
    /// CPU time and allocations of the reading threads when reads are bounded (the table is then read off the
    /// calling thread, whose own clock misses them); zero otherwise.
    /// </summary>
    public TimeSpan ReaderCpu { get; init; }
    public long ReaderAllocatedBytes { get; init; }
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
    private readonly Run _run = new();
    private readonly ManualResetEventSlim _done = new(false, spinCount: 1);
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
        _run.Reset();
        if (source is IGuardedProcSource { Guard: { } guard }) return ScanGuarded(source, sink, guard);
        if (!Begin(source, out var error)) return Failed(source, error);
        ReadAll(source, sink);
        return End(source, sink);
    }

    /// <summary>
    /// With bounded reads the table is read on a reading thread while this one watches it: a read that hangs past
    /// the deadline is left behind on its thread (see <see cref="ReadGuard"/>), its process is kept as it was and
    /// quarantined, and a new reading thread goes on with the next process. Naming and the end of the scan run here.
    /// </summary>
    private ScanResult ScanGuarded(IProcSource source, IProcSink sink, ReadGuard guard)
    {
        _done.Reset();
        StartReader(source, sink, guard, begin: true);
        while (!_done.Wait(guard.CheckInterval))
        {
            if (!guard.TryAbandon(Stopwatch.GetTimestamp(), out var pid)) continue;
            _run.TimedOut++;
            // Without the process list there is nothing to go on with: the scan fails as an unlistable table does.
            if (!_run.Listed) return Failed(source, $"listing the processes in the source timed out after {guard.Timeouts.Deadline.TotalSeconds:0.###} s");
            if (!_run.InProcess) _run.Counts.Listed++;
            _run.InProcess = false;
            KeepUnread(sink, Registry.TouchByPid(pid));
            StartReader(source, sink, guard, begin: false);
        }
        if (_run.Failure is { } failure) ExceptionDispatchInfo.Throw(failure);
        if (!_run.Listed) return Failed(source, _run.Error);
        return End(source, sink);
    }

    private void StartReader(IProcSource source, IProcSink sink, ReadGuard guard, bool begin)
    {
        var reader = new Thread(() => Read(source, sink, guard, begin)) { IsBackground = true, Name = "procfs-reader" };
        reader.Start();
    }

    /// <summary>One reading thread: it ends when the table is read, or when its read returns after it was left behind.</summary>
    private void Read(IProcSource source, IProcSink sink, ReadGuard guard, bool begin)
    {
        var cpu = ThreadCpuClock.Now();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            if (!begin || Begin(source, out _run.Error)) ReadAll(source, sink);
            _run.ReaderCpu += ThreadCpuClock.Now() - cpu;
            _run.ReaderAllocated += GC.GetAllocatedBytesForCurrentThread() - allocated;
        }
        catch (ReadAbandonedException left)
        {
            // Nothing of the scan is touched any more: another thread has it.
            guard.Released(left.Token);
            return;
        }
        catch (Exception ex)
        {
            _run.Failure = ex;
        }
        _done.Set();
    }

    private bool Begin(IProcSource source, out string? error)
    {
        if (!source.BeginScan(out _run.Start, out error)) return false;
        Registry.BeginCycle();
        _run.RenameAll = _renameAll;
        _renameAll = false;
        _pending.Clear();
        _pendingByPid.Clear();
        _run.Listed = true;
        return true;
    }

    private ScanResult Failed(IProcSource source, string? error) =>
        new() { Error = error, UptimeTicks = _previousUptime, BootTimeSeconds = source.BootTimeSeconds, ReadTimeouts = _run.TimedOut };

    private void ReadAll(IProcSource source, IProcSink sink)
    {
        ref var c = ref _run.Counts;
        while (source.MoveNext())
        {
            _run.InProcess = true;
            c.Listed++;
            ReadOne(source, sink, ref c);
            _run.InProcess = false;
        }
    }

    private void ReadOne(IProcSource source, IProcSink sink, ref Counts c)
    {
        if (!Counted(source.CurrentStatus, ref c))
        {
            // A stat that failed to read or parse does not mean the process is gone: keep a tracked one as it was.
            if (source.CurrentStatus is ReadStatus.Failed or ReadStatus.Quarantined) KeepUnread(sink, Registry.TouchByPid(source.Current.Pid));
            return;
        }
        var id = source.Current;
        var known = Registry.TryTouch(id, out var group);
        var trackedAs = known ? group : null;
        // A process to name again is read as if new: a changed name makes it a member of another group.
        if (known && (_run.RenameAll || ShouldRecheck(id, _run.Start.UptimeTicks))) known = false;
        else if (known && group is null) return;

        var status = source.ReadMetrics(ref _metrics);
        if (status == ReadStatus.PermissionDenied) Registry.Ignore(id);
        if (!Counted(status, ref c))
        {
            if (status == ReadStatus.Failed) KeepUnread(sink, trackedAs is null ? null : (id, trackedAs));
            return;
        }
        if (status == ReadStatus.Partial) c.Partial++;

        if (known)
        {
            var sample = new ProcSample { Id = id, Group = group!, Metrics = _metrics };
            sink.Observe(sample);
            c.Observed++;
            return;
        }

        status = source.ReadStatic(out var facts);
        if (status == ReadStatus.PermissionDenied) Registry.Ignore(id);
        if (!Counted(status, ref c))
        {
            if (status == ReadStatus.Failed) KeepUnread(sink, trackedAs is null ? null : (id, trackedAs));
            return;
        }
        _pendingByPid[id.Pid] = _pending.Count;
        _pending.Add(new Pending(facts!, Detach(_metrics)) { TrackedAs = trackedAs });
    }

    private ScanResult End(IProcSource source, IProcSink sink)
    {
        var c = _run.Counts;
        var fresh = NameAndObserveNew(sink, _run.Start.UptimeTicks);
        var exited = Registry.EndCycle();
        _previousUptime = _run.Start.UptimeTicks;
        return new ScanResult
        {
            Listed = c.Listed,
            Observed = c.Observed + fresh,
            New = fresh,
            Exited = exited,
            Vanished = c.Vanished,
            PermissionErrors = c.Permission,
            ReadErrors = c.Failed,
            PartialErrors = c.Partial,
            ReadTimeouts = _run.TimedOut,
            Quarantined = c.Quarantined,
            UptimeTicks = _run.Start.UptimeTicks,
            BootTimeSeconds = source.BootTimeSeconds,
            ReaderCpu = _run.ReaderCpu,
            ReaderAllocatedBytes = _run.ReaderAllocated,
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
    private static bool Counted(ReadStatus status, ref Counts c)
    {
        switch (status)
        {
            case ReadStatus.Ok or ReadStatus.Partial: return true;
            case ReadStatus.Vanished: c.Vanished++; return false;
            case ReadStatus.PermissionDenied: c.Permission++; return false;
            case ReadStatus.Quarantined: c.Quarantined++; return false;
            default: c.Failed++; return false;
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

    private struct Counts
    {
        public int Listed, Observed, Vanished, Permission, Failed, Partial, Quarantined;
    }

    /// <summary>Where a scan is, in fields rather than locals: with bounded reads another reading thread may take it over.</summary>
    private sealed class Run
    {
        public Counts Counts;
        public ScanStart Start;
        public bool RenameAll;
        /// <summary>The process list was read and the cycle begun.</summary>
        public bool Listed;
        /// <summary>Between listing a process and being done with it (a read left behind there did count it as listed).</summary>
        public bool InProcess;
        public int TimedOut;
        public string? Error;
        public Exception? Failure;
        public TimeSpan ReaderCpu;
        public long ReaderAllocated;

        public void Reset()
        {
            Counts = default;
            Start = default;
            RenameAll = Listed = InProcess = false;
            TimedOut = 0;
            Error = null;
            Failure = null;
            ReaderCpu = TimeSpan.Zero;
            ReaderAllocated = 0;
        }
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
