using System.Collections.Concurrent;
using System.Diagnostics;
using ProcActors.Procfs;
using ProcActors.Tracking.Grouping;

namespace ProcActors.LoadTests.Scenarios;

/// <summary>How the synthetic process table looks and changes.</summary>
public sealed record SyntheticOptions
{
    public int Processes { get; init; } = 10_000;

    public int Groups { get; init; } = 100;

    /// <summary>Share of the processes that exit each scan, each replaced by a new one: the table keeps its size.</summary>
    public double Churn { get; init; } = 0.01;

    /// <summary>Share of the replacements that take the pid of a process that just exited (pid reuse, new start time).</summary>
    public double PidReuse { get; init; } = 0.5;

    /// <summary>Every n-th process is multi-threaded (4 threads), like the threads a real table has; 0 for none.</summary>
    public int ThreadedEvery { get; init; } = 10;

    public int Seed { get; init; } = 42;
}

/// <summary>
/// A fast in-memory process table for driving the real pipeline at any size: no file is read and a steady scan
/// allocates nothing here (thread buffers are reused, strings interned per group), so what a load test measures is
/// the agent (scanner, channel, stream, router, group actors, trackers, aggregator), not the source. Each scan
/// (BeginScan) is a new moment: counters advance, and a share of the processes exit and are replaced by new ones,
/// half of them reusing the pid just freed with a later start time. It records when each scan started, so that a
/// load test can tell which node view contains a scan that started after its request.
/// </summary>
public sealed class SyntheticProcSource : IProcSource
{
    private const int ThreadsPerThreaded = 4;
    private const ulong TicksPerScan = 100;

    private readonly SyntheticOptions _options;
    private readonly Random _random;
    private readonly Slot[] _slots;
    private readonly HashSet<int> _livePids = [];
    private readonly string[] _groupNames;
    private readonly string[][] _cmdlines;
    private readonly string[] _exes;
    private readonly string[] _threadNames;
    private readonly ThreadSample[] _threadBuffer = new ThreadSample[ThreadsPerThreaded];
    private readonly ConcurrentDictionary<long, long> _scanStarts = new();
    private int _index;
    private int _nextPid;
    private ulong _uptime = 1_000_000;
    private long _scans;

    public SyntheticProcSource(SyntheticOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Processes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Groups);
        _options = options;
        _random = new Random(options.Seed);
        _groupNames = [.. Enumerable.Range(0, options.Groups).Select(g => $"svc-{g:D3}")];
        _cmdlines = [.. _groupNames.Select(n => new[] { $"/usr/bin/{n}", "--config", $"/etc/{n}.conf" })];
        _exes = [.. _groupNames.Select(n => $"/usr/bin/{n}")];
        _threadNames = [.. Enumerable.Range(0, ThreadsPerThreaded).Select(t => $"worker-{t}")];
        _slots = new Slot[options.Processes];
        _nextPid = 300;
        for (var i = 0; i < _slots.Length; i++) Birth(i, NewPid(), _uptime - 10_000);
    }

    /// <summary>The namer that goes with this table: every process is tracked, grouped by its command name.</summary>
    public static IProcNamer Namer { get; } = new CommNamer();

    public long Scans => Interlocked.Read(ref _scans);

    public int Processes => _slots.Length;

    public int Groups => _groupNames.Length;

    /// <summary>A fixed boot: the table lives in one boot of an imaginary machine.</summary>
    public long? BootTimeSeconds => 1_700_000_000;

    public ProcId Current { get; private set; }

    public ReadStatus CurrentStatus => ReadStatus.Ok;

    /// <summary>Stopwatch timestamp at which scan number <paramref name="scan"/> (1-based, the scanner's cycle) began listing.</summary>
    public bool TryGetScanStart(long scan, out long timestamp) => _scanStarts.TryGetValue(scan, out timestamp);

    public bool BeginScan(out ScanStart start, out string? error)
    {
        var scan = Interlocked.Increment(ref _scans);
        _scanStarts[scan] = Stopwatch.GetTimestamp();
        _scanStarts.TryRemove(scan - 10_000, out _);
        _uptime += TicksPerScan;
        if (scan > 1) Churn();
        _index = -1;
        start = new ScanStart(_uptime);
        error = null;
        return true;
    }

    public bool MoveNext()
    {
        if (++_index >= _slots.Length) return false;
        ref var slot = ref _slots[_index];
        Current = new ProcId(slot.Pid, slot.StartTicks);
        return true;
    }

    public ReadStatus ReadMetrics(ref ProcMetrics metrics)
    {
        ref var slot = ref _slots[_index];
        // Each read is a new moment for this process: its counters grow by an amount that depends on the process.
        var step = (ulong)(1 + slot.Pid % 5);
        slot.Cpu += step;
        slot.Io += step * 4096;
        slot.Faults += step * 3;
        slot.Switches += step * 7;

        metrics.Missing = MissingParts.None;
        metrics.Counts = new ProcCounts
        {
            CpuUserTicks = slot.Cpu,
            CpuSystemTicks = slot.Cpu / 2,
            ReadBytes = slot.Io,
            WriteBytes = slot.Io / 2,
            MinorPageFaults = slot.Faults,
            MajorPageFaults = slot.Faults / 100,
            VoluntaryCtxSwitches = slot.Switches,
            NonvoluntaryCtxSwitches = slot.Switches / 10,
        };
        metrics.Memory = new ProcMemory
        {
            ResidentBytes = 4_096UL * (1_000 + (ulong)(slot.Pid % 10_000)),
            VirtualBytes = 64UL << 20,
            ProportionalBytes = 2_048UL * (1_000 + (ulong)(slot.Pid % 10_000)),
        };
        metrics.OpenFds = 8 + (ulong)(slot.Pid % 32);
        metrics.FdLimit = 1024;
        metrics.State = (byte)'S';
        metrics.Wchan = null;
        metrics.States = default;
        if (slot.Threaded)
        {
            metrics.NumThreads = ThreadsPerThreaded;
            for (var t = 0; t < ThreadsPerThreaded; t++)
            {
                ref var thread = ref _threadBuffer[t];
                thread.Tid = t == 0 ? slot.Pid : slot.Pid + t;
                thread.Name = _threadNames[t];
                thread.State = (byte)(t == 0 ? 'R' : 'S');
                thread.Wchan = null;
                thread.Counts = new ProcCounts
                {
                    CpuUserTicks = slot.Cpu / ThreadsPerThreaded,
                    CpuSystemTicks = slot.Cpu / (2 * ThreadsPerThreaded),
                    ReadBytes = slot.Io / ThreadsPerThreaded,
                    WriteBytes = slot.Io / (2 * ThreadsPerThreaded),
                    MinorPageFaults = slot.Faults / ThreadsPerThreaded,
                    VoluntaryCtxSwitches = slot.Switches / ThreadsPerThreaded,
                };
                metrics.States.Add(thread.State);
            }
            metrics.Threads = _threadBuffer;
            metrics.ThreadCount = ThreadsPerThreaded;
        }
        else
        {
            metrics.NumThreads = 1;
            metrics.Threads = null;
            metrics.ThreadCount = 0;
            metrics.States.Add(metrics.State);
        }
        return ReadStatus.Ok;
    }

    public ReadStatus ReadStatic(out ProcStatic? facts)
    {
        ref var slot = ref _slots[_index];
        facts = new ProcStatic(
            new ProcId(slot.Pid, slot.StartTicks), _groupNames[slot.Group], _cmdlines[slot.Group], [], 1,
            DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + (long)(slot.StartTicks / 100)), 0, "root", _exes[slot.Group]);
        return ReadStatus.Ok;
    }

    /// <summary>Replaces a share of the processes: exits, then births, some reusing a freed pid.</summary>
    private void Churn()
    {
        var count = (int)Math.Round(_slots.Length * _options.Churn);
        if (count <= 0) return;
        for (var i = 0; i < count; i++)
        {
            var index = _random.Next(_slots.Length);
            var pid = _slots[index].Pid;
            _livePids.Remove(pid);
            var reuse = _random.NextDouble() < _options.PidReuse;
            // A new process started since the previous scan: its start time is after the previous uptime.
            Birth(index, reuse ? pid : NewPid(), _uptime - 1);
        }
    }

    private void Birth(int index, int pid, ulong startTicks)
    {
        _livePids.Add(pid);
        var group = _random.Next(_groupNames.Length);
        _slots[index] = new Slot
        {
            Pid = pid,
            StartTicks = startTicks,
            Group = group,
            Threaded = _options.ThreadedEvery > 0 && _random.Next(_options.ThreadedEvery) == 0,
        };
    }

    /// <summary>The next free pid, wrapping below Linux's largest pid_max like the kernel.</summary>
    private int NewPid()
    {
        do
        {
            _nextPid = _nextPid >= 4_194_303 ? 300 : _nextPid + 1;
        }
        while (_livePids.Contains(_nextPid));
        return _nextPid;
    }

    private struct Slot
    {
        public int Pid;
        public ulong StartTicks;
        public int Group;
        public bool Threaded;
        public ulong Cpu;
        public ulong Io;
        public ulong Faults;
        public ulong Switches;
    }

    private sealed class CommNamer : IProcNamer
    {
        public string? Name(ProcStatic proc) => proc.Name;
    }
}
