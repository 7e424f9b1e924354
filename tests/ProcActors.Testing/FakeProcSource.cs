using ProcActors.Procfs;
using ProcActors.Tracking.Grouping;

namespace ProcActors.Testing;

/// <summary>A scripted process table: tests set processes and counters, then scan it.</summary>
public sealed class FakeProcSource : IProcSource
{
    private readonly SortedDictionary<int, FakeProc> _procs = [];
    private List<FakeProc> _listing = [];
    private int _index;

    public ulong UptimeTicks { get; set; } = 100_000;

    public bool ListingFails { get; set; }

    public long? BootTimeSeconds { get; set; } = 1_700_000_000;

    /// <summary>How often each pid's metrics were read: ignored processes must not be read again.</summary>
    public Dictionary<int, int> MetricReads { get; } = [];

    public int StaticReads { get; private set; }

    public ProcId Current { get; private set; }

    public ReadStatus CurrentStatus { get; private set; }

    public FakeProc Add(int pid, string comm, ulong startTicks = 1, int parent = 1, string[]? cmdline = null)
    {
        var proc = new FakeProc(pid, comm, startTicks, parent, cmdline ?? [comm]);
        proc.Metrics.States.Add((byte)'S');
        proc.Metrics.State = (byte)'S';
        lock (_procs) _procs[pid] = proc;
        return proc;
    }

    public void Remove(int pid)
    {
        lock (_procs) _procs.Remove(pid);
    }

    public FakeProc this[int pid]
    {
        get
        {
            lock (_procs) return _procs[pid];
        }
    }

    public bool BeginScan(out ScanStart start, out string? error)
    {
        Gate?.Wait();
        Scans++;
        start = new ScanStart(UptimeTicks);
        error = ListingFails ? "listing failed" : null;
        lock (_procs) _listing = [.. _procs.Values];
        _index = -1;
        return !ListingFails;
    }

    /// <summary>When set, each scan waits here before listing: lets a test hold a scan in flight.</summary>
    public SemaphoreSlim? Gate { get; set; }

    public int Scans { get; private set; }

    public bool MoveNext()
    {
        if (++_index >= _listing.Count) return false;
        var proc = _listing[_index];
        Current = new ProcId(proc.Pid, proc.StartTicks);
        CurrentStatus = proc.StatStatus;
        return true;
    }

    public ReadStatus ReadMetrics(ref ProcMetrics metrics)
    {
        var proc = _listing[_index];
        MetricReads[proc.Pid] = MetricReads.GetValueOrDefault(proc.Pid) + 1;
        metrics = proc.Metrics;
        if (proc.Threads.Count > 0)
        {
            metrics.Threads = [.. proc.Threads];
            metrics.ThreadCount = proc.Threads.Count;
            metrics.States = default;
            foreach (var thread in proc.Threads) metrics.States.Add(thread.State);
        }
        return proc.MetricsStatus;
    }

    public ReadStatus ReadStatic(out ProcStatic? facts)
    {
        StaticReads++;
        var proc = _listing[_index];
        facts = new ProcStatic(
            new ProcId(proc.Pid, proc.StartTicks), proc.Comm, proc.Cmdline, [], proc.Parent,
            DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + (long)proc.StartTicks / 100), 0, "root", "/bin/" + proc.Comm);
        return proc.StaticStatus;
    }
}

public sealed class FakeProc(int pid, string comm, ulong startTicks, int parent, string[] cmdline)
{
    public int Pid { get; } = pid;
    public string Comm { get; } = comm;
    public ulong StartTicks { get; } = startTicks;
    public int Parent { get; } = parent;
    public string[] Cmdline { get; } = cmdline;
    public ProcMetrics Metrics;
    public List<ThreadSample> Threads { get; } = [];
    public ReadStatus StatStatus { get; set; } = ReadStatus.Ok;
    public ReadStatus MetricsStatus { get; set; } = ReadStatus.Ok;
    public ReadStatus StaticStatus { get; set; } = ReadStatus.Ok;

    /// <summary>Advances every counter by the same amount.</summary>
    public FakeProc Advance(ulong by)
    {
        ref var c = ref Metrics.Counts;
        c.CpuUserTicks += by;
        c.CpuSystemTicks += by;
        c.ReadBytes += by;
        c.WriteBytes += by;
        c.MajorPageFaults += by;
        c.MinorPageFaults += by;
        c.VoluntaryCtxSwitches += by;
        c.NonvoluntaryCtxSwitches += by;
        return this;
    }

    public FakeProc AddThread(int tid, string name, ulong cpu = 0, byte state = (byte)'S')
    {
        Threads.Add(new ThreadSample { Tid = tid, Name = name, State = state, Counts = new ProcCounts { CpuUserTicks = cpu } });
        return this;
    }
}

/// <summary>Names a process by its comm when the comm is in the list.</summary>
public sealed class CommNamer(params string[] comms) : IProcNamer
{
    public string? Name(ProcStatic proc) => comms.Contains(proc.Name) ? proc.Name : null;
}
