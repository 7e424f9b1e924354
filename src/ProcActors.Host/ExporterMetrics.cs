using ProcActors.Actors;
using ProcActors.Actors.View;
using ProcActors.Tracking;
using Prometheus;

namespace ProcActors.Host;

/// <summary>
/// process-exporter's series, same names, labels, types and units, written with prometheus-net from the latest
/// node view just before each scrape. Counters are set with IncTo: they only ever rise. A series whose group,
/// wchan or thread name is gone from the view is removed. Everything here changes once per cycle at most, so the
/// exposition text is cached per <see cref="Version"/> (see <see cref="MetricsPage"/>).
/// </summary>
public sealed class ExporterMetrics : IAgentTelemetry
{
    private const string Group = "groupname";
    private readonly int _ticksPerSecond;
    private readonly NodeViewStore _store;
    private readonly bool _smaps;
    private readonly bool _threads;
    private readonly Series _numProcs, _cpu, _readBytes, _writeBytes, _majorFaults, _minorFaults, _ctxSwitches, _memory,
        _openFds, _worstFdRatio, _oldestStart, _numThreads, _states, _wchan, _threadCount, _threadCpu, _threadIo,
        _threadMajor, _threadMinor, _threadCtx;
    private readonly Counter _scrapeErrors, _procReadErrors, _partialErrors, _cycles, _skipped, _backwards, _snapshotsSaved, _snapshotFailures, _scanCpu;
    private readonly Histogram _scanDuration, _updateLatency;
    private readonly Gauge _cycle;
    private readonly Lock _exportLock = new();
    private NodeView? _exported;
    private long _observations;
    private readonly bool _observationsInText;

    /// <param name="registry">The view's series, whose text changes once per cycle.</param>
    /// <param name="ownCost">
    /// Where the per-scan instruments (scan duration and CPU, update latency) go: a registry rendered on every scrape
    /// keeps them out of the cached text, so that it changes once per cycle, not also at each scan's end. Null: with
    /// the view's series.
    /// </param>
    public ExporterMetrics(CollectorRegistry registry, NodeViewStore store, int ticksPerSecond, bool gatherSmaps, bool threads, CollectorRegistry? ownCost = null)
    {
        _ticksPerSecond = ticksPerSecond;
        _store = store;
        _smaps = gatherSmaps;
        _threads = threads;
        var f = Metrics.WithCustomRegistry(registry);
        _numProcs = Series.Gauge(f, "namedprocess_namegroup_num_procs", "number of processes in this group", Group);
        _cpu = Series.Counter(f, "namedprocess_namegroup_cpu_seconds_total", "Cpu user usage in seconds", Group, "mode");
        _readBytes = Series.Counter(f, "namedprocess_namegroup_read_bytes_total", "number of bytes read by this group", Group);
        _writeBytes = Series.Counter(f, "namedprocess_namegroup_write_bytes_total", "number of bytes written by this group", Group);
        _majorFaults = Series.Counter(f, "namedprocess_namegroup_major_page_faults_total", "Major page faults", Group);
        _minorFaults = Series.Counter(f, "namedprocess_namegroup_minor_page_faults_total", "Minor page faults", Group);
        _ctxSwitches = Series.Counter(f, "namedprocess_namegroup_context_switches_total", "Context switches", Group, "ctxswitchtype");
        _memory = Series.Gauge(f, "namedprocess_namegroup_memory_bytes", "number of bytes of memory in use", Group, "memtype");
        _openFds = Series.Gauge(f, "namedprocess_namegroup_open_filedesc", "number of open file descriptors for this group", Group);
        _worstFdRatio = Series.Gauge(f, "namedprocess_namegroup_worst_fd_ratio", "the worst (closest to 1) ratio between open fds and max fds among all procs in this group", Group);
        _oldestStart = Series.Gauge(f, "namedprocess_namegroup_oldest_start_time_seconds", "start time in seconds since 1970/01/01 of oldest process in group", Group);
        _numThreads = Series.Gauge(f, "namedprocess_namegroup_num_threads", "Number of threads", Group);
        _states = Series.Gauge(f, "namedprocess_namegroup_states", "Number of processes in states Running, Sleeping, Waiting, Zombie, or Other", Group, "state");
        _wchan = Series.Gauge(f, "namedprocess_namegroup_threads_wchan", "Number of threads in this group waiting on each wchan", Group, "wchan");
        _threadCount = Series.Gauge(f, "namedprocess_namegroup_thread_count", "Number of threads in this group with same threadname", Group, "threadname");
        _threadCpu = Series.Counter(f, "namedprocess_namegroup_thread_cpu_seconds_total", "Cpu user/system usage in seconds", Group, "threadname", "mode");
        _threadIo = Series.Counter(f, "namedprocess_namegroup_thread_io_bytes_total", "number of bytes read/written by these threads", Group, "threadname", "iomode");
        _threadMajor = Series.Counter(f, "namedprocess_namegroup_thread_major_page_faults_total", "Major page faults for these threads", Group, "threadname");
        _threadMinor = Series.Counter(f, "namedprocess_namegroup_thread_minor_page_faults_total", "Minor page faults for these threads", Group, "threadname");
        _threadCtx = Series.Counter(f, "namedprocess_namegroup_thread_context_switches_total", "Context switches for these threads", Group, "threadname", "ctxswitchtype");
        _scrapeErrors = f.CreateCounter("namedprocess_scrape_errors", "general scrape errors: no proc metrics collected during a cycle");
        _procReadErrors = f.CreateCounter("namedprocess_scrape_procread_errors", "incremented each time a proc's metrics collection fails");
        _partialErrors = f.CreateCounter("namedprocess_scrape_partial_errors", "incremented each time a tracked proc's metrics collection fails partially, e.g. unreadable I/O stats");
        _cycles = f.CreateCounter("procactors_cycles_total", "scan cycles merged into the view served here");
        _skipped = f.CreateCounter("procactors_skipped_intervals_total", "scan intervals skipped because the previous scan was still running");
        _backwards = f.CreateCounter("procactors_backwards_counters_total", "process counters seen going backwards, clamped to a zero delta instead of wrapping");
        _snapshotsSaved = f.CreateCounter("procactors_snapshots_saved_total", "snapshots of the counters written to the store");
        _snapshotFailures = f.CreateCounter("procactors_snapshot_failures_total", "snapshot writes that failed (store down or slow); retried every cycle");
        _cycle = f.CreateGauge("procactors_cycle", "the scan cycle the served values come from; counts from 0 at each start of the agent");
        // 1-2-5 from 0.5 ms to 20 s: the targets (5, 10, 50 ms) are bucket bounds, so a p99 read from the buckets says
        // whether it is met; powers of two put 50 ms inside the 32–64 ms bucket and could not.
        var buckets = LatencyBuckets;
        _observationsInText = ownCost is null || ReferenceEquals(ownCost, registry);
        if (!_observationsInText) f = Metrics.WithCustomRegistry(ownCost!);
        _scanDuration = f.CreateHistogram("procactors_scan_duration_seconds", "time to read the process table once", new HistogramConfiguration { Buckets = buckets });
        _scanCpu = f.CreateCounter("procactors_scan_cpu_seconds_total", "CPU time (user + system) the scanning thread spent reading the process table");
        _updateLatency = f.CreateHistogram("procactors_update_latency_seconds", "time from scan start until the node view holds that cycle", new HistogramConfiguration { Buckets = buckets });

        registry.AddBeforeCollectCallback(() => Export(store.Current));
        store.Published += _ => TextChanged?.Invoke();
    }

    /// <summary>Upper bounds of the scan-duration and update-latency histograms, in seconds.</summary>
    public static readonly double[] LatencyBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20];

    /// <summary>Changes whenever the text of these series may have: a new view, or a scan or update observed.</summary>
    public (NodeView View, long Observations) Version => (_store.Current, Interlocked.Read(ref _observations));

    /// <summary>Raised when <see cref="Version"/> changed, on the thread that changed it (the aggregator's, the scan's): keep handlers short.</summary>
    public event Action? TextChanged;

    public void ScanCompleted(TimeSpan duration, TimeSpan cpu)
    {
        _scanDuration.Observe(duration.TotalSeconds);
        _scanCpu.Inc(cpu.TotalSeconds);
        Observed();
    }

    public void ViewUpdated(TimeSpan latency)
    {
        _updateLatency.Observe(latency.TotalSeconds);
        Observed();
    }

    private void Observed()
    {
        if (!_observationsInText) return;
        Interlocked.Increment(ref _observations);
        TextChanged?.Invoke();
    }

    private void Export(NodeView view)
    {
        lock (_exportLock)
        {
            if (ReferenceEquals(view, _exported)) return;
            _exported = view;
            foreach (var (name, group) in view.Groups) Export(name, group.Stats);
            foreach (var series in All()) series.Sweep();
            _scrapeErrors.IncTo(view.Counters.ScrapeErrors);
            _procReadErrors.IncTo(view.Counters.ReadErrors + view.Counters.PermissionErrors);
            _partialErrors.IncTo(view.Counters.PartialErrors);
            _cycles.IncTo(view.Counters.Cycles);
            _cycle.Set(view.Cycle);
            _skipped.IncTo(view.Counters.SkippedIntervals);
            _backwards.IncTo(view.Counters.BackwardsCounters);
            _snapshotsSaved.IncTo(view.Counters.SnapshotsSaved);
            _snapshotFailures.IncTo(view.Counters.SnapshotFailures);
        }
    }

    private void Export(string g, GroupStats s)
    {
        var c = s.Counts;
        _numProcs.Set(s.Procs, g);
        _cpu.Set(Seconds(c.CpuUserTicks), g, "user");
        _cpu.Set(Seconds(c.CpuSystemTicks), g, "system");
        _readBytes.Set(c.ReadBytes, g);
        _writeBytes.Set(c.WriteBytes, g);
        _majorFaults.Set(c.MajorPageFaults, g);
        _minorFaults.Set(c.MinorPageFaults, g);
        _ctxSwitches.Set(c.VoluntaryCtxSwitches, g, "voluntary");
        _ctxSwitches.Set(c.NonvoluntaryCtxSwitches, g, "nonvoluntary");
        _memory.Set(s.Memory.ResidentBytes, g, "resident");
        _memory.Set(s.Memory.VirtualBytes, g, "virtual");
        _memory.Set(s.Memory.SwapBytes, g, "swapped");
        if (_smaps)
        {
            _memory.Set(s.Memory.ProportionalBytes, g, "proportionalResident");
            _memory.Set(s.Memory.ProportionalSwapBytes, g, "proportionalSwapped");
        }
        _openFds.Set(s.OpenFds, g);
        _worstFdRatio.Set(s.WorstFdRatio, g);
        _oldestStart.Set(s.OldestStartTime is { } oldest ? oldest.ToUnixTimeMilliseconds() / 1000.0 : 0, g);
        _numThreads.Set(s.NumThreads, g);
        _states.Set(s.States.Running, g, "Running");
        _states.Set(s.States.Sleeping, g, "Sleeping");
        _states.Set(s.States.Waiting, g, "Waiting");
        _states.Set(s.States.Zombie, g, "Zombie");
        _states.Set(s.States.Other, g, "Other");
        foreach (var (wchan, count) in s.Wchans) _wchan.Set(count, g, wchan);
        if (!_threads) return;
        foreach (var (thread, t) in s.Threads)
        {
            _threadCount.Set(t.Count, g, thread);
            _threadCpu.Set(Seconds(t.Counts.CpuUserTicks), g, thread, "user");
            _threadCpu.Set(Seconds(t.Counts.CpuSystemTicks), g, thread, "system");
            _threadIo.Set(t.Counts.ReadBytes, g, thread, "read");
            _threadIo.Set(t.Counts.WriteBytes, g, thread, "write");
            _threadMajor.Set(t.Counts.MajorPageFaults, g, thread);
            _threadMinor.Set(t.Counts.MinorPageFaults, g, thread);
            _threadCtx.Set(t.Counts.VoluntaryCtxSwitches, g, thread, "voluntary");
            _threadCtx.Set(t.Counts.NonvoluntaryCtxSwitches, g, thread, "nonvoluntary");
        }
    }

    private double Seconds(ulong ticks) => (double)ticks / _ticksPerSecond;

    private IEnumerable<Series> All() =>
    [
        _numProcs, _cpu, _readBytes, _writeBytes, _majorFaults, _minorFaults, _ctxSwitches, _memory, _openFds, _worstFdRatio,
        _oldestStart, _numThreads, _states, _wchan, _threadCount, _threadCpu, _threadIo, _threadMajor, _threadMinor, _threadCtx,
    ];

    /// <summary>A labelled metric family that remembers which label sets were written since the last sweep.</summary>
    private sealed class Series
    {
        private readonly Action<string[], double> _set;
        private readonly Action<string[]> _remove;
        private HashSet<LabelKey> _written = [];
        private HashSet<LabelKey> _writing = [];

        private Series(Action<string[], double> set, Action<string[]> remove)
        {
            _set = set;
            _remove = remove;
        }

        public static Series Gauge(IMetricFactory f, string name, string help, params string[] labels)
        {
            var gauge = f.CreateGauge(name, help, new GaugeConfiguration { LabelNames = labels });
            return new Series((l, v) => gauge.WithLabels(l).Set(v), l => gauge.RemoveLabelled(l));
        }

        public static Series Counter(IMetricFactory f, string name, string help, params string[] labels)
        {
            var counter = f.CreateCounter(name, help, new CounterConfiguration { LabelNames = labels });
            return new Series((l, v) => counter.WithLabels(l).IncTo(v), l => counter.RemoveLabelled(l));
        }

        public void Set(double value, params string[] labels)
        {
            _set(labels, value);
            _writing.Add(new LabelKey(labels));
        }

        public void Sweep()
        {
            foreach (var stale in _written)
            {
                if (!_writing.Contains(stale)) _remove(stale.Values);
            }
            (_written, _writing) = (_writing, _written);
            _writing.Clear();
        }
    }

    private sealed class LabelKey(string[] values) : IEquatable<LabelKey>
    {
        public string[] Values { get; } = values;

        public bool Equals(LabelKey? other) => other is not null && Values.AsSpan().SequenceEqual(other.Values);

        public override bool Equals(object? obj) => Equals(obj as LabelKey);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (var value in Values) hash.Add(value);
            return hash.ToHashCode();
        }
    }
}
