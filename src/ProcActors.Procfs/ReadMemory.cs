using System.Runtime.InteropServices;

namespace ProcActors.Procfs;

/// <summary>
/// What the last expensive reads of each live process returned, so that files whose values rarely change are read
/// again only when they may have changed, within the bounds of <see cref="ProcfsOptions"/>:
/// - smaps_rollup (the kernel walks every page table: ~18 µs plus ~6.5 µs per resident MB) when the resident,
///   virtual or swapped size from stat/status changed since it was read, or at least every
///   <see cref="ProcfsOptions.SmapsEveryScans"/> scans (proportional sizes also move when another process maps or
///   unmaps shared pages, without any figure of this one changing);
/// - limits every <see cref="ProcfsOptions.LimitsEveryScans"/> scans (changed only by setrlimit/prlimit);
/// - wchan of a task (process or thread) only when its state or its context switches changed: a task whose switch
///   counts did not move has not blocked again since, so it still waits where it waited. This one is exact.
/// - status, io and the fd/ count of a single-threaded process, and status and io of each thread of a multi-threaded
///   one (task/[tid]/), that has not run since they were read: its time on a
///   CPU (schedstat, in ns) did not move and stat shows it not running (a running task's time is only brought up to
///   date when it stops). Its counters cannot have moved, for only a running task adds to its own switches, faults and
///   IO; what another task can change (VmSwap under reclaim, an fd table shared with CLONE_FILES) is read again at
///   least every <see cref="ProcfsOptions.IdleEveryScans"/> scans.
/// Entries are keyed by identity (pid + start time) and dropped at the end of the first scan that does not see them.
/// </summary>
internal sealed class ReadMemory
{
    private readonly Dictionary<ProcId, Entry> _entries = [];
    private readonly List<ProcId> _gone = [];
    private long _scan;

    public long Scan => _scan;

    public void BeginScan() => _scan++;

    public Entry For(ProcId id)
    {
        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, id, out _);
        entry ??= new Entry();
        entry.SeenInScan = _scan;
        return entry;
    }

    public int Count => _entries.Count;

    /// <summary>Forgets the processes this scan did not see (exited, or no longer read).</summary>
    public void EndScan()
    {
        foreach (var (id, entry) in _entries)
        {
            if (entry.SeenInScan != _scan) _gone.Add(id);
        }
        foreach (var id in _gone) _entries.Remove(id);
        _gone.Clear();
    }

    public sealed class Entry
    {
        public long SeenInScan;

        public long SmapsReadInScan = -1;
        public ulong SmapsResidentPages, SmapsVirtualBytes, SmapsSwapBytes;
        public ulong ProportionalBytes, ProportionalSwapBytes;

        public long LimitsReadInScan = -1;
        public ulong FdLimit;

        public WchanMemo Wchan;
        public IdleMemo Idle;
        private Dictionary<int, ThreadMemo>? _threads;

        public bool SmapsFresh(long scan, int every, ulong residentPages, ulong virtualBytes, ulong swapBytes) =>
            SmapsReadInScan >= 0 && scan - SmapsReadInScan < every &&
            residentPages == SmapsResidentPages && virtualBytes == SmapsVirtualBytes && swapBytes == SmapsSwapBytes;

        public bool LimitsFresh(long scan, int every) => LimitsReadInScan >= 0 && scan - LimitsReadInScan < every;

        public ref ThreadMemo Thread(int tid, long scan)
        {
            _threads ??= [];
            ref var memo = ref CollectionsMarshal.GetValueRefOrAddDefault(_threads, tid, out _);
            memo.SeenInScan = scan;
            return ref memo;
        }

        /// <summary>Drops exited threads once the process has fewer live threads than remembered.</summary>
        public void EndThreads(long scan, int liveThreads)
        {
            if (_threads is null || _threads.Count <= liveThreads) return;
            foreach (var (tid, memo) in _threads)
            {
                if (memo.SeenInScan != scan) _threads.Remove(tid);
            }
        }
    }

    /// <summary>What was last read of one thread of a multi-threaded process.</summary>
    public struct ThreadMemo
    {
        public long SeenInScan;
        public WchanMemo Wchan;
        /// <summary>Its io and context switches (in <see cref="IdleMemo.Status"/>) as last read, with its CPU time then.</summary>
        public IdleMemo Idle;
    }

    /// <summary>
    /// A single-threaded process's status, io and fd count as last read, with its CPU time and stat counters then; for
    /// a thread, its io and switches (no fd count: the fd table is the process's).
    /// </summary>
    public struct IdleMemo
    {
        public long ReadInScan;
        public bool Known;
        public ulong RunNs;
        public ulong UserTicks, SystemTicks, MinorFaults, MajorFaults;
        public ProcStatus Status;
        public ulong ReadBytes, WriteBytes, OpenFds;

        /// <summary>Nothing the process does itself has changed since the read, and the read is within the bound.</summary>
        public readonly bool Holds(long scan, int every, ulong runNs, in ProcStat stat) =>
            Known && scan - ReadInScan < every && runNs == RunNs && stat.UserTicks == UserTicks && stat.SystemTicks == SystemTicks &&
            stat.MinorFaults == MinorFaults && stat.MajorFaults == MajorFaults;

        public void Remember(long scan, ulong runNs, in ProcStat stat, in ProcStatus status, ulong readBytes, ulong writeBytes, ulong openFds)
        {
            (Known, ReadInScan, RunNs) = (true, scan, runNs);
            (UserTicks, SystemTicks, MinorFaults, MajorFaults) = (stat.UserTicks, stat.SystemTicks, stat.MinorFaults, stat.MajorFaults);
            Status = status;
            (ReadBytes, WriteBytes, OpenFds) = (readBytes, writeBytes, openFds);
        }
    }

    /// <summary>A task's wchan as last read, with the state and switch count it was read with.</summary>
    public struct WchanMemo
    {
        public long SeenInScan;
        public bool Known;
        public byte State;
        public ulong Switches;
        public string? Wchan;

        public readonly bool Holds(byte state, ulong switches) => Known && state == State && switches == Switches;

        public void Remember(byte state, ulong switches, string? wchan)
        {
            Known = true;
            State = state;
            Switches = switches;
            Wchan = wchan;
        }
    }
}
