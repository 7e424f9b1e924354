using System.Text;
using ProcActors.Procfs.Native;

namespace ProcActors.Procfs;

/// <summary>What to read beyond stat, status, io, fd and limits; the defaults are process-exporter's.</summary>
public sealed record ProcfsOptions
{
    /// <summary>Read smaps_rollup for proportional memory (process-exporter's -gather-smaps).</summary>
    public bool GatherSmaps { get; init; } = true;

    /// <summary>Read task/[tid]/ files of multi-threaded processes for per-thread metrics (process-exporter's -threads).</summary>
    public bool Threads { get; init; } = true;

    /// <summary>Read wchan (the kernel function a sleeping task waits in).</summary>
    public bool Wchan { get; init; } = true;

    /// <summary>
    /// Re-read a process's smaps_rollup only when its resident, virtual or swapped size changed, or after this many
    /// scans (1: every scan). See <see cref="ReadMemory"/> for the rules.
    /// </summary>
    public int SmapsEveryScans { get; init; } = 1;

    /// <summary>Re-read a process's limits after this many scans (1: every scan).</summary>
    public int LimitsEveryScans { get; init; } = 1;

    /// <summary>
    /// Keep the status, io and fd count of a single-threaded process that has not run since they were read (its
    /// schedstat CPU time unchanged, not running now), re-reading them at least every this many scans (1: every scan).
    /// See <see cref="ReadMemory"/> for why its counters cannot have moved.
    /// </summary>
    public int IdleEveryScans { get; init; } = 1;

    /// <summary>
    /// Tests only: apply <see cref="IdleEveryScans"/> to a tree that is not procfs. On a fixture tree the files are
    /// written by someone, not by the kernel, and nothing ties schedstat to the other files, so by default the rule
    /// applies to a procfs mount alone.
    /// </summary>
    internal bool IdleRuleOnAnyTree { get; init; }

    /// <summary>Keep a task's wchan while its state and context switches are unchanged (exact: it has not run since).</summary>
    public bool ReuseUnchangedWchan { get; init; }

    /// <summary>Bounds every read by a deadline (see <see cref="Procfs.ReadTimeouts"/>); null reads without a bound, on the scanning thread.</summary>
    public ReadTimeouts? ReadTimeouts { get; init; }

    internal bool Adaptive => SmapsEveryScans > 1 || LimitsEveryScans > 1 || IdleEveryScans > 1 || ReuseUnchangedWchan;
}

/// <summary>
/// Reads a procfs tree rooted at any path (/proc, /host/proc, a fixture folder) with libc calls into reused
/// buffers: a steady scan allocates nothing per process. One reader serves one scanner at a time.
/// </summary>
public sealed class ProcfsReader : IGuardedProcSource
{
    private readonly ProcPath _path;
    // Not readonly, like the lists below: a read left behind keeps the instances it holds, the reader goes on with new ones.
    private FileBuffer _file = new();
    private readonly ReadGuard? _guard;
    private readonly ProcfsOptions _options;
    private readonly StringPool _strings = new();
    // New processes' arguments, cgroup paths and executables: a thousand workers of one command (or a fixture of copies)
    // share theirs instead of holding a copy each; at most 2 M characters kept, started over when full (unique
    // arguments of short-lived processes must not fill it for good).
    private readonly StringPool _facts = new(capacity: 16_384, maxPooledLength: 4096, maxPooledChars: 1 << 21, renewWhenFull: true);
    private readonly UserNames _users = new();
    private List<int> _pids = new(1024);
    private List<int> _tids = new(64);
    private const int MinShrinkableThreads = 4096;
    private ThreadSample[] _threads = new ThreadSample[64];
    private int _largestThreadCount;
    private readonly byte[] _comm = new byte[256];
    private int _commLength;
    private int _index;
    private readonly bool _fdCountInSize;
    private ProcStat _stat;
    private ProcStatus _status;
    private readonly ReadMemory? _memory;
    private readonly bool _idleRule;

    public ProcfsReader(string root = "/proc", ProcfsOptions? options = null)
    {
        Root = root;
        _path = new ProcPath(root);
        _options = options ?? new ProcfsOptions();
        if (_options.SmapsEveryScans < 1 || _options.LimitsEveryScans < 1 || _options.IdleEveryScans < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "re-read intervals are counted in scans, at least 1");
        _memory = _options.Adaptive ? new ReadMemory() : null;
        if (_options.ReadTimeouts is { } timeouts) _guard = new ReadGuard(timeouts, LeftBehind);
        System = ReadSystemInfo();
        _fdCountInSize = FdCountInSize();
        _idleRule = _options.IdleEveryScans > 1 && (_options.IdleRuleOnAnyTree || LibC.IsProcfs(_path.Of(default)));
    }

    public string Root { get; }

    public ReadGuard? Guard => _guard;

    /// <summary>Thread samples the reader holds room for (tests of its memory bound).</summary>
    internal int ThreadBufferLength => _threads.Length;

    public SystemInfo System { get; }

    public long? BootTimeSeconds => System.BootTimeSeconds > 0 ? System.BootTimeSeconds : null;

    public ProcId Current { get; private set; }

    public ReadStatus CurrentStatus { get; private set; }

    /// <summary>Reads of a process whose status, io and fd count were kept because it had not run (see <see cref="ProcfsOptions.IdleEveryScans"/>).</summary>
    public long IdleReuses { get; private set; }

    /// <summary>The parent pid of the current process, from its stat.</summary>
    public int CurrentParentPid => _stat.ParentPid;

    public bool BeginScan(out ScanStart start, out string? error)
    {
        _pids.Clear();
        _index = -1;
        _memory?.BeginScan();
        ulong? uptime = null;
        if (ReadFile(0, _path.Of("uptime"u8), out var content) == 0 &&
            UptimeParser.TryParseTicks(content, System.ClockTicksPerSecond, out var ticks))
        {
            uptime = ticks;
        }
        start = new ScanStart(uptime);
        var rc = ListNumericEntries(0, _path.Of(default), _pids);
        error = rc < 0 ? $"cannot list processes in {Root}: errno {-rc}" : null;
        return rc == 0;
    }

    public bool MoveNext()
    {
        if (++_index >= _pids.Count)
        {
            _memory?.EndScan();
            ShrinkThreadBuffers();
            return false;
        }
        var pid = _pids[_index];
        _commLength = 0;
        _status = default;
        if (_guard is { QuarantinedCount: > 0 } guard && guard.IsQuarantined(pid))
        {
            CurrentStatus = ReadStatus.Quarantined;
            Current = new ProcId(pid, 0);
            return true;
        }
        var rc = ReadFile(pid, _path.Of(pid, "stat"u8), out var content);
        if (rc < 0)
        {
            CurrentStatus = Errno.Classify(rc);
            Current = new ProcId(pid, 0);
            return true;
        }
        if (!StatParser.TryParse(content, out _stat))
        {
            CurrentStatus = ReadStatus.Failed;
            Current = new ProcId(pid, 0);
            return true;
        }
        var comm = content[_stat.Comm];
        _commLength = Math.Min(comm.Length, _comm.Length);
        comm[.._commLength].CopyTo(_comm);
        Current = new ProcId(pid, _stat.StartTicks);
        CurrentStatus = ReadStatus.Ok;
        return true;
    }

    public ReadStatus ReadMetrics(ref ProcMetrics metrics)
    {
        var pid = Current.Pid;
        metrics.Counts = default;
        metrics.Memory = default;
        metrics.Counts.CpuUserTicks = _stat.UserTicks;
        metrics.Counts.CpuSystemTicks = _stat.SystemTicks;
        metrics.ReapedChildrenUserTicks = _stat.ChildrenUserTicks;
        metrics.ReapedChildrenSystemTicks = _stat.ChildrenSystemTicks;
        metrics.Counts.MinorPageFaults = _stat.MinorFaults;
        metrics.Counts.MajorPageFaults = _stat.MajorFaults;
        metrics.Memory.VirtualBytes = _stat.VirtualBytes;
        metrics.Memory.ResidentBytes = _stat.ResidentPages * (ulong)System.PageSize;
        metrics.NumThreads = _stat.NumThreads;
        metrics.State = _stat.State;
        metrics.Wchan = null;
        metrics.Threads = null;
        metrics.ThreadCount = 0;
        metrics.OpenFds = 0;
        metrics.FdLimit = 0;
        metrics.Missing = MissingParts.None;

        var memo = _memory?.For(Current);
        var scan = _memory?.Scan ?? 0;
        int rc;
        ReadOnlySpan<byte> content;

        // A single-threaded process not running now whose CPU time has not moved since its last full read has not run
        // since: its status, io and fd count are those of that read (ReadMemory). The time is read before the other
        // files, so a run that overlaps them moves it past what is remembered and the next scan reads everything.
        var runNs = 0UL;
        var idleKnown = memo is not null && _idleRule && _stat.NumThreads == 1 && _stat.State != (byte)'R' &&
            ReadRunNs(pid, out runNs);
        if (idleKnown && memo!.Idle.Holds(scan, _options.IdleEveryScans, runNs, in _stat))
        {
            _status = memo.Idle.Status;
            metrics.Counts.VoluntaryCtxSwitches = _status.VoluntaryCtxSwitches;
            metrics.Counts.NonvoluntaryCtxSwitches = _status.NonvoluntaryCtxSwitches;
            metrics.Memory.SwapBytes = _status.SwapBytes;
            metrics.Counts.ReadBytes = memo.Idle.ReadBytes;
            metrics.Counts.WriteBytes = memo.Idle.WriteBytes;
            metrics.OpenFds = memo.Idle.OpenFds;
            IdleReuses++;
        }
        else
        {
            // status carries the context switches every process has: without it the process is not read.
            rc = ReadFile(pid, _path.Of(pid, "status"u8), out content);
            if (rc < 0) return Errno.Classify(rc);
            if (!StatusParser.TryParse(content, out _status)) return ReadStatus.Failed;
            metrics.Counts.VoluntaryCtxSwitches = _status.VoluntaryCtxSwitches;
            metrics.Counts.NonvoluntaryCtxSwitches = _status.NonvoluntaryCtxSwitches;
            metrics.Memory.SwapBytes = _status.SwapBytes;

            // Everything below is secondary: a failure leaves that part at zero and marks the read partial.
            rc = ReadFile(pid, _path.Of(pid, "io"u8), out content);
            if (rc == 0 && IoParser.TryParse(content, out var io))
            {
                metrics.Counts.ReadBytes = io.ReadBytes;
                metrics.Counts.WriteBytes = io.WriteBytes;
            }
            else if (Gone(rc)) return ReadStatus.Vanished;
            else metrics.Missing |= MissingParts.Io;

            rc = CountOpenFds(pid);
            if (rc >= 0) metrics.OpenFds = (ulong)rc;
            else if (Gone(rc)) return ReadStatus.Vanished;
            else metrics.Missing |= MissingParts.OpenFds;

            if (memo is not null)
            {
                // Only a whole read is kept: a part that failed is tried again next scan.
                if (idleKnown && metrics.Missing == MissingParts.None)
                    memo.Idle.Remember(scan, runNs, in _stat, in _status, metrics.Counts.ReadBytes, metrics.Counts.WriteBytes, metrics.OpenFds);
                else memo.Idle.Known = false;
            }
        }

        if (memo is not null && memo.LimitsFresh(scan, _options.LimitsEveryScans)) metrics.FdLimit = memo.FdLimit;
        else
        {
            rc = ReadFile(pid, _path.Of(pid, "limits"u8), out content);
            if (rc == 0 && LimitsParser.TryParseMaxOpenFiles(content, out var limit))
            {
                metrics.FdLimit = limit;
                if (memo is not null) (memo.FdLimit, memo.LimitsReadInScan) = (limit, scan);
            }
            else if (Gone(rc)) return ReadStatus.Vanished;
            else metrics.Missing |= MissingParts.FdLimit;
        }

        // Kernel threads have no address space (vsize 0): their smaps_rollup fails with ESRCH and would hold nothing.
        if (_options.GatherSmaps && _stat.VirtualBytes > 0)
        {
            if (memo is not null && memo.SmapsFresh(scan, _options.SmapsEveryScans, _stat.ResidentPages, _stat.VirtualBytes, _status.SwapBytes))
            {
                metrics.Memory.ProportionalBytes = memo.ProportionalBytes;
                metrics.Memory.ProportionalSwapBytes = memo.ProportionalSwapBytes;
            }
            else
            {
                rc = ReadFile(pid, _path.Of(pid, "smaps_rollup"u8), out content);
                if (rc == 0 && SmapsRollupParser.TryParse(content, out var rollup))
                {
                    metrics.Memory.ProportionalBytes = rollup.ProportionalBytes;
                    metrics.Memory.ProportionalSwapBytes = rollup.ProportionalSwapBytes;
                    if (memo is not null && _options.SmapsEveryScans > 1)
                    {
                        (memo.SmapsResidentPages, memo.SmapsVirtualBytes, memo.SmapsSwapBytes) = (_stat.ResidentPages, _stat.VirtualBytes, _status.SwapBytes);
                        (memo.ProportionalBytes, memo.ProportionalSwapBytes, memo.SmapsReadInScan) = (rollup.ProportionalBytes, rollup.ProportionalSwapBytes, scan);
                    }
                }
                else if (Gone(rc)) return ReadStatus.Vanished;
                else metrics.Missing |= MissingParts.Smaps;
            }
        }

        metrics.States = default;
        // Like process-exporter, a single-threaded process is its own only thread: its task/ adds nothing.
        var readThreads = _options.Threads && _stat.NumThreads > 1;
        // With its threads read, the process's own wchan is its main thread's, read there.
        if (_options.Wchan && !readThreads)
        {
            var switches = _status.VoluntaryCtxSwitches + _status.NonvoluntaryCtxSwitches;
            if (memo is not null && _options.ReuseUnchangedWchan)
            {
                if (memo.Wchan.Holds(_stat.State, switches)) metrics.Wchan = memo.Wchan.Wchan;
                else memo.Wchan.Remember(_stat.State, switches, metrics.Wchan = ReadWchan(pid, _path.Of(pid, "wchan"u8)));
            }
            else metrics.Wchan = ReadWchan(pid, _path.Of(pid, "wchan"u8));
        }
        if (readThreads)
        {
            switch (ReadThreads(pid, ref metrics, memo, scan))
            {
                case ReadStatus.Vanished: return ReadStatus.Vanished;
                case ReadStatus.Ok:
                    SumContextSwitches(ref metrics);
                    break;
                default: metrics.Missing |= MissingParts.Threads; break;
            }
        }
        if (metrics.ThreadCount == 0) metrics.States.Add(_stat.State);

        return metrics.Missing == MissingParts.None ? ReadStatus.Ok : ReadStatus.Partial;
    }

    public ReadStatus ReadStatic(out ProcStatic? facts)
    {
        facts = null;
        var pid = Current.Pid;
        var rc = ReadFile(pid, _path.Of(pid, "cmdline"u8), out var content);
        if (rc < 0) return Errno.Classify(rc);
        var cmdline = CmdlineParser.Parse(content, _facts);

        string[] cgroups = [];
        rc = ReadFile(pid, _path.Of(pid, "cgroup"u8), out content);
        if (rc == 0) cgroups = CgroupParser.Parse(content, _facts);
        else if (Gone(rc)) return ReadStatus.Vanished;

        // exe is unreadable for kernel threads and, without privilege, for other users' processes: not an error.
        var exe = ReadLink(pid, _path.Of(pid, "exe"u8), out var target) == 0 ? _facts.Get(target) : string.Empty;

        facts = new ProcStatic(
            Current,
            _strings.Get(_comm.AsSpan(0, _commLength)),
            cmdline,
            cgroups,
            _stat.ParentPid,
            System.StartTimeOf(_stat.StartTicks),
            _status.EffectiveUid,
            _users.Get(_status.EffectiveUid),
            exe);
        return ReadStatus.Ok;
    }

    private ReadStatus ReadThreads(int pid, ref ProcMetrics metrics, ReadMemory.Entry? memo, long scan)
    {
        _tids.Clear();
        var rc = ListNumericEntries(pid, _path.Of(pid, "task"u8), _tids);
        if (rc < 0) return Gone(rc) ? ReadStatus.Vanished : ReadStatus.Partial;
        if (_threads.Length < _tids.Count) _threads = new ThreadSample[Math.Max(_tids.Count, _threads.Length * 2)];
        _largestThreadCount = Math.Max(_largestThreadCount, _tids.Count);

        var count = 0;
        var partial = false;
        foreach (var tid in _tids)
        {
            // A thread that exits mid-read is simply not counted.
            if (ReadFile(pid, _path.Of(pid, tid, "stat"u8), out var content) < 0) continue;
            if (!StatParser.TryParse(content, out var stat))
            {
                partial = true;
                continue;
            }
            ref var thread = ref _threads[count];
            thread.Tid = tid;
            thread.Name = _strings.Get(content[stat.Comm]);
            thread.State = stat.State;
            thread.Counts = default;
            thread.Counts.CpuUserTicks = stat.UserTicks;
            thread.Counts.CpuSystemTicks = stat.SystemTicks;
            thread.Counts.MinorPageFaults = stat.MinorFaults;
            thread.Counts.MajorPageFaults = stat.MajorFaults;

            // The idle rule per thread (see ReadMetrics): a thread not running whose time has not moved keeps its io and switches.
            var runNs = 0UL;
            var idleKnown = memo is not null && _idleRule && stat.State != (byte)'R' && ReadRunNs(pid, tid, out runNs);
            if (idleKnown && memo!.Thread(tid, scan).Idle is var kept && kept.Holds(scan, _options.IdleEveryScans, runNs, in stat))
            {
                thread.Counts.ReadBytes = kept.ReadBytes;
                thread.Counts.WriteBytes = kept.WriteBytes;
                thread.Counts.VoluntaryCtxSwitches = kept.Status.VoluntaryCtxSwitches;
                thread.Counts.NonvoluntaryCtxSwitches = kept.Status.NonvoluntaryCtxSwitches;
                IdleReuses++;
            }
            else
            {
                var whole = true;
                rc = ReadFile(pid, _path.Of(pid, tid, "io"u8), out content);
                if (rc == 0 && IoParser.TryParse(content, out var io))
                {
                    thread.Counts.ReadBytes = io.ReadBytes;
                    thread.Counts.WriteBytes = io.WriteBytes;
                }
                else if (ThreadGone(rc, pid, tid)) continue;
                else
                {
                    partial = true;
                    whole = false;
                }

                rc = ReadFile(pid, _path.Of(pid, tid, "status"u8), out content);
                var status = default(ProcStatus);
                if (rc == 0 && StatusParser.TryParse(content, out status))
                {
                    thread.Counts.VoluntaryCtxSwitches = status.VoluntaryCtxSwitches;
                    thread.Counts.NonvoluntaryCtxSwitches = status.NonvoluntaryCtxSwitches;
                }
                else if (ThreadGone(rc, pid, tid)) continue;
                else
                {
                    partial = true;
                    whole = false;
                }

                if (memo is not null && _idleRule)
                {
                    ref var idle = ref memo.Thread(tid, scan).Idle;
                    if (idleKnown && whole) idle.Remember(scan, runNs, in stat, in status, thread.Counts.ReadBytes, thread.Counts.WriteBytes, 0);
                    else idle.Known = false;
                }
            }

            thread.Wchan = _options.Wchan ? ThreadWchan(pid, tid, stat.State, thread.Counts, _options.ReuseUnchangedWchan ? memo : null, scan) : null;
            metrics.States.Add(stat.State);
            count++;
        }
        memo?.EndThreads(scan, count);
        metrics.Threads = _threads;
        metrics.ThreadCount = count;
        return partial ? ReadStatus.Partial : ReadStatus.Ok;
    }

    /// <summary>
    /// The thread buffers grow to the largest process read; once no process of a scan needs a quarter of them (the
    /// process of 100,000 threads exited) they shrink, so one such process does not hold megabytes for the agent's life.
    /// </summary>
    private void ShrinkThreadBuffers()
    {
        var largest = _largestThreadCount;
        _largestThreadCount = 0;
        if (_threads.Length <= MinShrinkableThreads || largest * 4 > _threads.Length) return;
        var size = Math.Max(64, largest * 2);
        _threads = new ThreadSample[size];
        if (_tids.Capacity > size) _tids.Capacity = size;
    }

    /// <summary>
    /// A process's status counts the context switches of its main thread alone; those of the process are the sum
    /// over its threads (as process-exporter reports them). A thread that exits takes its share along: the tracker
    /// clamps that drop instead of wrapping.
    /// </summary>
    private static void SumContextSwitches(ref ProcMetrics metrics)
    {
        ulong voluntary = 0, nonvoluntary = 0;
        foreach (ref readonly var thread in metrics.Threads.AsSpan(0, metrics.ThreadCount))
        {
            voluntary += thread.Counts.VoluntaryCtxSwitches;
            nonvoluntary += thread.Counts.NonvoluntaryCtxSwitches;
        }
        metrics.Counts.VoluntaryCtxSwitches = voluntary;
        metrics.Counts.NonvoluntaryCtxSwitches = nonvoluntary;
    }

    /// <summary>
    /// Open descriptors: on procfs since Linux 6.2 the size of fd/ is their number (one stat instead of reading the
    /// directory); elsewhere, and on older kernels, the entries are counted.
    /// </summary>
    private int CountOpenFds(int pid)
    {
        var path = _path.Of(pid, "fd"u8);
        if (_fdCountInSize)
        {
            var token = _guard?.Enter(pid) ?? 0;
            var size = LibC.SizeOf(path);
            _guard?.Exit(token);
            if (size > 0) return size > int.MaxValue ? int.MaxValue : (int)size;
            if (size < 0) return (int)size;
        }
        var guarded = _guard?.Enter(pid) ?? 0;
        var count = FileBuffer.CountEntries(path);
        _guard?.Exit(guarded);
        return count;
    }

    /// <summary>True on a procfs whose fd/ sizes are descriptor counts (older kernels report 0): our own process has descriptors.</summary>
    private bool FdCountInSize() => LibC.IsProcfs(_path.Of("self"u8)) && LibC.SizeOf(_path.Of("self/fd"u8)) > 0;

    private string? ThreadWchan(int pid, int tid, byte state, in ProcCounts counts, ReadMemory.Entry? memo, long scan)
    {
        if (memo is null) return ReadWchan(pid, _path.Of(pid, tid, "wchan"u8));
        ref var known = ref memo.Thread(tid, scan).Wchan;
        var switches = counts.VoluntaryCtxSwitches + counts.NonvoluntaryCtxSwitches;
        if (known.Holds(state, switches)) return known.Wchan;
        var wchan = ReadWchan(pid, _path.Of(pid, tid, "wchan"u8));
        known.Remember(state, switches, wchan);
        return wchan;
    }

    /// <summary>
    /// The first field of schedstat: the main thread's time on a CPU in ns (sum_exec_runtime). False when it cannot be
    /// read or parsed (no CONFIG_SCHED_INFO, a fixture without it, the process gone): the caller then reads everything.
    /// </summary>
    private bool ReadRunNs(int pid, out ulong runNs) => ParseRunNs(pid, _path.Of(pid, "schedstat"u8), out runNs);

    /// <summary>The same for one thread: task/[tid]/schedstat.</summary>
    private bool ReadRunNs(int pid, int tid, out ulong runNs) => ParseRunNs(pid, _path.Of(pid, tid, "schedstat"u8), out runNs);

    private bool ParseRunNs(int pid, ReadOnlySpan<byte> path, out ulong runNs)
    {
        runNs = 0;
        if (ReadFile(pid, path, out var content) < 0) return false;
        var end = content.IndexOf((byte)' ');
        return end > 0 && global::System.Buffers.Text.Utf8Parser.TryParse(content[..end], out runNs, out var used) && used == end;
    }

    private string? ReadWchan(int pid, ReadOnlySpan<byte> path)
    {
        if (ReadFile(pid, path, out var content) < 0) return null;
        content = content.TrimEnd((byte)'\n');
        return content.IsEmpty || content.SequenceEqual("0"u8) ? null : _strings.Get(content);
    }

    /// <summary>ENOENT on a secondary file: the process is gone if its stat is gone too; else the file is just missing.</summary>
    private bool Gone(int rc) => IsVanishedErrno(rc) && !Exists(Current.Pid, _path.Of(Current.Pid, "stat"u8));

    /// <summary>The same for one thread: a thread that exited mid-read is not counted, and is no error.</summary>
    private bool ThreadGone(int rc, int pid, int tid) => IsVanishedErrno(rc) && !Exists(pid, _path.Of(pid, tid, "stat"u8));

    private static bool IsVanishedErrno(int rc) => rc < 0 && Errno.Classify(rc) == ReadStatus.Vanished;

    private bool Exists(int pid, ReadOnlySpan<byte> path)
    {
        var token = _guard?.Enter(pid) ?? 0;
        var fd = LibC.OpenRead(path);
        _guard?.Exit(token);
        if (fd < 0) return false;
        LibC.CloseFd(fd);
        return true;
    }

    // Every read of the tree goes through these three: with a guard, the watcher can leave a hung one behind.

    private int ReadFile(int pid, ReadOnlySpan<byte> path, out ReadOnlySpan<byte> content)
    {
        if (_guard is null) return _file.Read(path, out content);
        var file = _file;
        var token = _guard.Enter(pid);
        var rc = file.Read(path, out content);
        _guard.Exit(token);
        return rc;
    }

    private int ReadLink(int pid, ReadOnlySpan<byte> path, out ReadOnlySpan<byte> target)
    {
        if (_guard is null) return _file.ReadLink(path, out target);
        var file = _file;
        var token = _guard.Enter(pid);
        var rc = file.ReadLink(path, out target);
        _guard.Exit(token);
        return rc;
    }

    private int ListNumericEntries(int pid, ReadOnlySpan<byte> path, List<int> into)
    {
        if (_guard is null) return FileBuffer.ListNumericEntries(path, into);
        var token = _guard.Enter(pid);
        var rc = FileBuffer.ListNumericEntries(path, into);
        _guard.Exit(token);
        return rc;
    }

    /// <summary>
    /// The watcher left a hung read behind (on the watcher's thread, while no other thread reads): the left-behind
    /// thread keeps the buffer and lists it was filling, which the kernel or its loop may still write into.
    /// </summary>
    private void LeftBehind(int pid)
    {
        _file = new FileBuffer();
        _tids = new List<int>(64);
        if (pid == 0) _pids = new List<int>(1024);
    }

    private SystemInfo ReadSystemInfo()
    {
        long bootTime = 0;
        if (_file.Read(_path.Of("stat"u8), out var content) == 0) SystemStatParser.TryParseBootTime(content, out bootTime);
        return new SystemInfo(bootTime, ClockTicks.PerSecond, Environment.SystemPageSize);
    }
}
