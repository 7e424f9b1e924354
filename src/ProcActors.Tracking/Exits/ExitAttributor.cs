using ProcActors.Procfs;
using ProcActors.Procfs.Taskstats;
using ProcActors.Tracking.Grouping;

namespace ProcActors.Tracking.Exits;

/// <summary>
/// Turns the kernel's per-task exit records into per-process exits attributed to groups, on the scanner's side of
/// the pipeline (it needs the scanner's registry, so it runs on the scan thread, before a scan reads /proc):
/// - threads roll up into their process: a thread leaving a live process is held and added to the process's exit
///   (its work is already in the process's /proc counters while the process lives, so it is never sent alone);
/// - a process the last scan saw goes to the group it was tracked in, with its exact identity, and an ignored one
///   is dropped, as the scanner drops it;
/// - any other process is named by the same rules from what the record knows (comm, uid, parent; the comm stands in
///   for the cmdline, and there is no exe), and when no rule names it and -children is on, it joins its parent's group: a parent the last scan
///   tracks, or a parent whose own exit is in the same batch. A process whose parent is not known yet (born after
///   the last scan, still alive) is held for the next scans, which will have seen the parent.
/// </summary>
public sealed class ExitAttributor(IProcNamer namer, ScannerOptions? options = null)
{
    /// <summary>Scans a process waits for its parent to be seen before it is given up (counted as unattributed).</summary>
    private const int HoldScans = 2;

    /// <summary>Scans the thread sums of a process that is not in the registry are kept before they are taken as lost.</summary>
    private const int ThreadSumScans = 3;

    private const int KthreaddPid = 2;

    private readonly bool _children = (options ?? new ScannerOptions()).Children;
    private IProcNamer _namer = namer;
    private readonly Dictionary<int, ThreadSums> _threads = [];
    private readonly List<Pending> _held = [];
    private readonly List<Pending> _batch = [];

    /// <summary>Processes of this interval's batch not attributed yet (no group found so far, not ignored).</summary>
    private readonly List<Pending> _open = [];
    private readonly HashSet<int> _newPids = [];
    private readonly Dictionary<int, int> _batchByPid = [];
    private readonly UserNames _users = new();

    /// <summary>Task records taken in (threads and processes).</summary>
    public long Records { get; private set; }

    /// <summary>Processes that no rule and no tracked parent claimed: like the scanner, nobody counts them.</summary>
    public long Unattributed { get; private set; }

    /// <summary>With taskstats, where every process's record is also reported, to restore its teardown from its reaper.</summary>
    public ExitTeardownSink? Teardown { get; set; }

    /// <summary>Processes whose threads' records are held until the process exits.</summary>
    public int HeldThreadGroups => _threads.Count;

    /// <summary>A reloaded configuration: records from now on are named by its rules, as the scanner's next scan is.</summary>
    public void ReplaceNamer(IProcNamer replacement) => _namer = replacement;

    /// <summary>
    /// Attributes the records received since the last call at the start of a scan (the end of an interval), plus those
    /// taken ahead in this interval and not attributed yet, plus those held from earlier intervals, and appends the
    /// exits to deliver that were not delivered by <see cref="TakeAhead"/> already.
    /// </summary>
    /// <param name="bootTimeSeconds">The boot time of the scanned /proc (/proc/stat btime).</param>
    /// <param name="ticksPerSecond">The unit of process start times (USER_HZ).</param>
    public void Attribute(List<ExitRecord> records, ProcRegistry registry, long bootTimeSeconds, int ticksPerSecond, List<ProcExit> exits)
    {
        Pass(records, registry, bootTimeSeconds, ticksPerSecond, exits, final: true);
        foreach (var pending in _open)
        {
            if (++pending.Scans < HoldScans)
            {
                pending.Resolved = false;
                _held.Add(pending);
            }
            else
            {
                Unattributed++;
            }
        }
        _open.Clear();
        _batch.Clear();
        _batchByPid.Clear();
        // The next interval starts with what is held: its records may name these as their parents.
        foreach (var held in _held)
        {
            Add(held);
            _open.Add(held);
        }
        _held.Clear();
        ForgetLostThreadSums(registry);
    }

    /// <summary>
    /// Between two scans: attributes what can be attributed of the records received so far in this interval, against
    /// the registry as the last scan left it (as <see cref="Attribute"/> will: the registry only changes in a scan),
    /// and appends those exits; the others wait for the next pass. So the work of a busy machine's records is spread
    /// over the interval rather than all done at the start of the next scan. The outcome is the same as attributing
    /// them all in <see cref="Attribute"/>: the records of one interval stay one batch (a parent's record taken here
    /// still names its children's group later in the interval).
    /// </summary>
    public void TakeAhead(List<ExitRecord> records, ProcRegistry registry, long bootTimeSeconds, int ticksPerSecond, List<ProcExit> exits) =>
        Pass(records, registry, bootTimeSeconds, ticksPerSecond, exits, final: false);

    /// <param name="final">
    /// The last pass of the interval tries every process not attributed yet; a pass ahead tries the new ones and those
    /// whose parent's record is new (the registry does not change between scans, so nothing else can have changed).
    /// </param>
    private void Pass(List<ExitRecord> records, ProcRegistry registry, long bootTimeSeconds, int ticksPerSecond, List<ProcExit> exits, bool final)
    {
        Records += records.Count;
        var firstNew = _open.Count;
        _newPids.Clear();
        foreach (var record in records)
        {
            if (!record.GroupDead)
            {
                ref var sums = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_threads, record.Tgid, out _);
                sums ??= new ThreadSums();
                sums.Add(record);
                continue;
            }
            var pending = new Pending(record, Window(record, bootTimeSeconds, ticksPerSecond));
            if (_threads.Remove(record.Tgid, out var threads))
            {
                CountsMath.Add(ref pending.Totals, threads.Totals);
                pending.Tasks += threads.Tasks;
            }
            Add(pending);
            _open.Add(pending);
            _newPids.Add(record.Tgid);
        }

        for (var i = 0; i < _open.Count; i++)
        {
            var pending = _open[i];
            if (final || i >= firstNew || _newPids.Contains(pending.Record.ParentPid)) Resolve(pending, registry, depth: 0);
        }
        var kept = 0;
        for (var i = 0; i < _open.Count; i++)
        {
            var pending = _open[i];
            if (Teardown is { } teardown && !pending.Reported)
            {
                pending.Reported = true;
                teardown.Exited(pending.Record.Tgid, pending.Record.ParentPid, pending.Totals.CpuUserTicks + pending.Totals.CpuSystemTicks, pending.Group);
            }
            if (pending.Group is not null)
            {
                exits.Add(new ProcExit
                {
                    Group = pending.Group,
                    Pid = pending.Record.Tgid,
                    Tracked = pending.Tracked,
                    StartTicksLow = pending.Low,
                    StartTicksHigh = pending.High,
                    Totals = pending.Totals,
                    Tasks = pending.Tasks,
                });
            }
            else if (!pending.Ignored)
            {
                // Not known yet: tried again in the next pass, whose records may hold its parent.
                pending.Resolved = false;
                _open[kept++] = pending;
            }
        }
        _open.RemoveRange(kept, _open.Count - kept);
    }

    private void Add(Pending pending)
    {
        _batchByPid[pending.Record.Tgid] = _batch.Count;
        _batch.Add(pending);
    }

    private string? Resolve(Pending pending, ProcRegistry registry, int depth)
    {
        if (pending.Resolved || depth > 64) return pending.Group;
        pending.Resolved = true;
        var pid = pending.Record.Tgid;
        if (registry.TryGetByPid(pid, out var id, out var trackedGroup) && id.StartTicks >= pending.Low && id.StartTicks <= pending.High)
        {
            pending.Tracked = id;
            pending.Group = trackedGroup;
            pending.Ignored = trackedGroup is null;
            return pending.Group;
        }
        var record = pending.Record;
        // The record has no command line: the comm stands in for it, so that rules on "any command line" (the
        // default config's '.+', which keeps kernel threads out) take the process; kernel threads (kthreadd and its
        // children) keep none.
        IReadOnlyList<string> cmdline = pid == KthreaddPid || record.ParentPid == KthreaddPid ? [] : [record.Comm];
        var facts = new ProcStatic(new ProcId(pid, pending.High), record.Comm, cmdline, [], record.ParentPid,
            DateTimeOffset.FromUnixTimeSeconds(record.BeginTimeSeconds), record.Uid, _users.Get(record.Uid), string.Empty);
        pending.Group = _namer.Name(facts);
        if (pending.Group is not null || !_children) return pending.Group;
        var parent = record.ParentPid;
        if (parent <= 0 || parent == pid) return null;
        if (_batchByPid.TryGetValue(parent, out var index)) pending.Group = Resolve(_batch[index], registry, depth + 1);
        else if (registry.TryGetByPid(parent, out _, out var parentGroup))
        {
            pending.Group = parentGroup;
            // An ignored parent's children are ignored too, as the scanner would have it.
            pending.Ignored = parentGroup is null;
        }
        return pending.Group;
    }

    /// <summary>
    /// Start bounds in ticks since boot: at most the receive time less the process's lifetime (receiving is later
    /// than the exit), at least the kernel's whole-second start time less rounding (two seconds: the record's and
    /// /proc/stat's btime are both whole seconds). Wide enough never to miss the process itself, narrow enough
    /// that its pid being reused within it is practically impossible.
    /// </summary>
    internal static (ulong Low, ulong High) Window(in ExitRecord record, long bootTimeSeconds, int ticksPerSecond)
    {
        var processStartNanos = record.ReceivedBoottimeNanos - (long)record.ProcessElapsedMicros * 1000;
        var high = Math.Max(0, processStartNanos) / (1_000_000_000 / ticksPerSecond) + 1;
        var threadOffsetSeconds = (long)(record.ProcessElapsedMicros - Math.Min(record.ElapsedMicros, record.ProcessElapsedMicros)) / 1_000_000;
        var lowSeconds = record.BeginTimeSeconds - threadOffsetSeconds - bootTimeSeconds - 2;
        var low = Math.Max(0, lowSeconds) * ticksPerSecond;
        // A wall clock stepped since boot would put the low bound past the high one: fall back to the lifetime alone.
        if (low > high) low = Math.Max(0, high - 2L * ticksPerSecond);
        return ((ulong)low, (ulong)high);
    }

    /// <summary>Threads of a process whose last exit was lost (socket overflow) would otherwise be kept forever.</summary>
    private void ForgetLostThreadSums(ProcRegistry registry)
    {
        foreach (var (tgid, sums) in _threads)
        {
            if (registry.TryGetByPid(tgid, out _, out _)) sums.ScansAbsent = 0;
            else if (++sums.ScansAbsent > ThreadSumScans) _threads.Remove(tgid);
        }
    }

    internal static ProcCounts Counts(in ExitRecord record) => new()
    {
        CpuUserTicks = record.CpuUserNanos,
        CpuSystemTicks = record.CpuSystemNanos,
        ReadBytes = record.ReadBytes,
        WriteBytes = record.WriteBytes,
        MajorPageFaults = record.MajorPageFaults,
        MinorPageFaults = record.MinorPageFaults,
        VoluntaryCtxSwitches = record.VoluntaryCtxSwitches,
        NonvoluntaryCtxSwitches = record.NonvoluntaryCtxSwitches,
    };

    private sealed class ThreadSums
    {
        public ProcCounts Totals;
        public int Tasks;
        public int ScansAbsent;

        public void Add(in ExitRecord record)
        {
            CountsMath.Add(ref Totals, Counts(record));
            Tasks++;
        }
    }

    private sealed class Pending(ExitRecord record, (ulong Low, ulong High) window)
    {
        public ExitRecord Record { get; } = record;
        public ulong Low { get; } = window.Low;
        public ulong High { get; } = window.High;
        public ProcCounts Totals = Counts(record);
        public int Tasks = 1;
        public ProcId? Tracked;
        public string? Group;
        public bool Ignored;
        public bool Resolved;
        /// <summary>Reported to <see cref="Teardown"/> (once, in the batch it came in, even if its group is not known yet).</summary>
        public bool Reported;
        public int Scans;
    }
}
