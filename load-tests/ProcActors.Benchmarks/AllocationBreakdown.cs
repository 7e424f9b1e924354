using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using ProcActors.Procfs;
using ProcActors.Tracking;

namespace ProcActors.Benchmarks;

/// <summary>
/// Where a steady scan's bytes go: the scan of <see cref="LocalTracker.Update"/> replayed with the source and the
/// sink metered call by call (GC.GetAllocatedBytesForCurrentThread is exact for the calling thread), and the types
/// the runtime's allocation ticks name meanwhile (a tick per ~100 KB allocated: a sample by bytes, not a count).
/// </summary>
public static class AllocationBreakdown
{
    public static void Run(LocalTracker tracker, IProcSource reader, int scans)
    {
        var source = new MeteredSource(reader);
        var sink = new MeteredSink(tracker.Tracker);
        long scanBytes = 0, endCycleBytes = 0, groups = 0, listed = 0;
        using var ticks = new AllocationTicks();
        for (var i = 0; i < scans; i++)
        {
            // LocalTracker.Update, spelled out.
            tracker.Tracker.BeginCycle();
            var before = Allocated();
            var result = tracker.Scanner.Scan(source, sink);
            var scanned = Allocated();
            if (result.Error is null) groups += tracker.Tracker.EndCycle().Count;
            endCycleBytes += Allocated() - scanned;
            scanBytes += scanned - before;
            listed += result.Listed;
        }
        var ownScanner = scanBytes - source.Total - sink.KnownBytes - sink.NewBytes;

        Console.WriteLine();
        Console.WriteLine($"allocation breakdown over {scans} scans ({(double)listed / scans:0} procs/scan, {(double)groups / scans:0} groups/scan):");
        Console.WriteLine("| phase | calls/scan | bytes/scan | bytes/call |");
        Console.WriteLine("|---|---:|---:|---:|");
        Row("IProcSource.BeginScan", source.BeginScanCalls, source.BeginScanBytes);
        Row("IProcSource.MoveNext", source.MoveNextCalls, source.MoveNextBytes);
        Row("IProcSource.ReadMetrics", source.ReadMetricsCalls, source.ReadMetricsBytes);
        Row("IProcSource.ReadStatic (new processes)", source.ReadStaticCalls, source.ReadStaticBytes);
        Row("Tracker.Observe, known process", sink.Known, sink.KnownBytes);
        Row("Tracker.Observe, new process", sink.New, sink.NewBytes);
        Row("ProcScanner.Scan itself (ScanResult, pending new processes)", scans, ownScanner);
        Row("Tracker.EndCycle (gauges + GroupStats snapshots)", scans, endCycleBytes);
        Row("total", scans, scanBytes + endCycleBytes);

        void Row(string phase, long calls, long bytes) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {phase} | {(double)calls / scans:0.#} | {(double)bytes / scans:0} | {(calls == 0 ? 0 : (double)bytes / calls):0.0} |"));

        ticks.Print();
        PrintObjectSizes();
    }

    /// <summary>The sizes of what a steady scan allocates (measured here, same runtime), to read the table above with.</summary>
    private static void PrintObjectSizes()
    {
        var threads = new Dictionary<int, object> { [1] = new(), [2] = new() };
        var wchans1 = new Dictionary<string, int>(StringComparer.Ordinal) { ["do_sys_poll"] = 1 };
        var wchans3 = new Dictionary<string, int>(StringComparer.Ordinal) { ["a"] = 1, ["b"] = 1, ["c"] = 1 };
        var names2 = new Dictionary<string, int>(StringComparer.Ordinal) { ["x"] = 1, ["y"] = 2 };
        Console.WriteLine();
        Console.WriteLine("sizes of the objects involved, measured on this runtime:");
        Size("boxed Dictionary<int, TrackedThread>.ValueCollection.Enumerator (foreach over IEnumerable<TrackedThread>)", () =>
        {
            IEnumerable<object> values = threads.Values;
            foreach (var _ in values) { }
        });
        Size("GroupStats (record, empty dictionaries not counted)", () => _ = new GroupStats { Name = "x", Wchans = wchans1, Threads = null! });
        Size("ThreadGroupStats (record)", () => _ = new ThreadGroupStats(1, default));
        Size("new Dictionary<string, ThreadGroupStats>(0, Ordinal)", () => _ = new Dictionary<string, ThreadGroupStats>(0, StringComparer.Ordinal));
        Size("new Dictionary<string, ThreadGroupStats>(2, Ordinal) + 2 adds", () =>
        {
            var d = new Dictionary<string, ThreadGroupStats>(names2.Count, StringComparer.Ordinal);
            foreach (var (k, _) in names2) d[k] = null!;
        });
        Size("new Dictionary<string, int>(wchans of 1, Ordinal)", () => _ = new Dictionary<string, int>(wchans1, StringComparer.Ordinal));
        Size("new Dictionary<string, int>(wchans of 3, Ordinal)", () => _ = new Dictionary<string, int>(wchans3, StringComparer.Ordinal));
        Size("ScanResult (record)", () => _ = new ScanResult { Listed = 1 });
        Size("new List<GroupStats>(70)", () => _ = new List<GroupStats>(70));

        static void Size(string what, Action action)
        {
            action(); // JIT
            var before = Allocated();
            action();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Allocated() - before,6} B  {what}"));
        }
    }

    private static long Allocated() => GC.GetAllocatedBytesForCurrentThread();

    private sealed class MeteredSource(IProcSource inner) : IProcSource
    {
        public long? BootTimeSeconds => inner.BootTimeSeconds;

        public long BeginScanBytes, MoveNextBytes, ReadMetricsBytes, ReadStaticBytes;
        public long BeginScanCalls, MoveNextCalls, ReadMetricsCalls, ReadStaticCalls;

        public long Total => BeginScanBytes + MoveNextBytes + ReadMetricsBytes + ReadStaticBytes;

        public ProcId Current => inner.Current;

        public ReadStatus CurrentStatus => inner.CurrentStatus;

        public bool BeginScan(out ScanStart start, out string? error)
        {
            var before = Allocated();
            var ok = inner.BeginScan(out start, out error);
            BeginScanBytes += Allocated() - before;
            BeginScanCalls++;
            return ok;
        }

        public bool MoveNext()
        {
            var before = Allocated();
            var more = inner.MoveNext();
            MoveNextBytes += Allocated() - before;
            MoveNextCalls++;
            return more;
        }

        public ReadStatus ReadMetrics(ref ProcMetrics metrics)
        {
            var before = Allocated();
            var status = inner.ReadMetrics(ref metrics);
            ReadMetricsBytes += Allocated() - before;
            ReadMetricsCalls++;
            return status;
        }

        public ReadStatus ReadStatic(out ProcStatic? facts)
        {
            var before = Allocated();
            var status = inner.ReadStatic(out facts);
            ReadStaticBytes += Allocated() - before;
            ReadStaticCalls++;
            return status;
        }
    }

    private sealed class MeteredSink(IProcSink inner) : IProcSink
    {
        public long KnownBytes, NewBytes, Known, New;

        public void Observe(in ProcSample sample)
        {
            var before = Allocated();
            inner.Observe(sample);
            if (sample.Static is null)
            {
                KnownBytes += Allocated() - before;
                Known++;
            }
            else
            {
                NewBytes += Allocated() - before;
                New++;
            }
        }
    }

    /// <summary>GCAllocationTick events of the runtime, by type.</summary>
    private sealed class AllocationTicks : EventListener
    {
        // Field initializers run before the base constructor, which may already call OnEventSourceCreated.
        private readonly ConcurrentDictionary<string, (int Ticks, long Bytes)> _types = new(StringComparer.Ordinal);

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1 /* GC */);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.PayloadNames is null || e.Payload is null) return;
            var type = e.PayloadNames.IndexOf("TypeName") is var t and >= 0 ? e.Payload[t] as string ?? "?" : "?";
            var amount = e.PayloadNames.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(e.Payload[a], CultureInfo.InvariantCulture) : 0;
            _types.AddOrUpdate(type, (1, amount), (_, v) => (v.Ticks + 1, v.Bytes + amount));
        }

        public void Print()
        {
            Thread.Sleep(1500); // the listener's events arrive on another thread, a little late
            Console.WriteLine();
            if (_types.IsEmpty)
            {
                Console.WriteLine("allocation ticks: none (less than ~100 KB allocated in all)");
                return;
            }
            Console.WriteLine("allocation ticks by type (the type allocated as each ~100 KB was crossed; all threads):");
            foreach (var (type, (ticks, bytes)) in _types.OrderByDescending(p => p.Value.Ticks))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {ticks,5}  {bytes,12:N0} B  {type}"));
        }
    }
}
