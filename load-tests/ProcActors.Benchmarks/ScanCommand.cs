using System.Diagnostics;
using System.Globalization;
using ProcActors.Procfs;
using ProcActors.Tracking;

namespace ProcActors.Benchmarks;

/// <summary>
/// <c>scan</c>: a quick measurement without BenchmarkDotNet. Optionally spawns N <c>sleep 600</c> children (or
/// generates a fixture tree), does the warm-up scans, then measures S steady scans of one <see cref="LocalTracker"/>
/// over one reused <see cref="ProcfsReader"/>: process CPU (getrusage RUSAGE_SELF, all threads: JIT and GC included;
/// exact total, user/sys split as the kernel samples it), the scanning thread's CPU (CLOCK_THREAD_CPUTIME_ID), wall
/// time and the bytes the scanning thread allocated.
/// </summary>
public static class ScanCommand
{
    public const string Usage =
        """
        scan [--root DIR | --fixture N] [--scans S] [--warmup W] [--repeat R] [--no-smaps] [--no-threads] [--no-wchan]
             [--spawn N] [--alloc-breakdown]
          --root DIR         procfs to scan (default /proc)
          --fixture N        generate a fixture tree of N processes in the temp folder and scan it instead
          --scans S          measured scans per run (default 50)
          --warmup W         scans before measuring (default 1: static facts are read then)
          --repeat R         runs of S scans; each is a row, then median and best (default 1)
          --no-smaps         do not read smaps_rollup
          --no-threads       do not read task/<tid>/
          --no-wchan         do not read wchan
          --spawn N          start N `sleep 600` children first; they (and only they) are killed and reaped at the end
          --alloc-breakdown  after measuring, S more scans with every call metered: bytes per scan by phase, and the
                             types the runtime's allocation ticks name
        """;

    private sealed class Settings
    {
        public string Root = "/proc";
        public int Fixture;
        public int Scans = 50;
        public int Warmup = 1;
        public int Repeat = 1;
        public bool Smaps = true;
        public bool Threads = true;
        public bool Wchan = true;
        public int Spawn;
        public bool AllocBreakdown;
    }

    public static int Run(string[] args)
    {
        Settings s;
        try
        {
            s = Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }

        FixtureTree? fixture = null;
        Children? children = null;
        try
        {
            var root = s.Root;
            if (s.Fixture > 0)
            {
                var made = Stopwatch.StartNew();
                fixture = FixtureTree.Create(s.Fixture);
                root = fixture.Root;
                Console.WriteLine($"fixture: {fixture.Processes} processes from {fixture.Templates} templates in {root} ({made.Elapsed.TotalSeconds:0.0} s)");
            }
            if (s.Spawn > 0)
            {
                var started = Stopwatch.StartNew();
                children = Children.SpawnSleepers(s.Spawn);
                Console.WriteLine($"spawned {children.Count} `sleep 600` children ({started.Elapsed.TotalSeconds:0.0} s)");
            }
            Measure(s, root);
            return 0;
        }
        finally
        {
            if (children is not null)
            {
                var count = children.Count;
                children.Dispose();
                Console.WriteLine($"killed and reaped the {count} children");
            }
            fixture?.Dispose();
        }
    }

    private static void Measure(Settings s, string root)
    {
        var options = new ProcfsOptions { GatherSmaps = s.Smaps, Threads = s.Threads, Wchan = s.Wchan };
        var reader = new ProcfsReader(root, options);
        var tracker = new LocalTracker(new CommNamer());
        for (var i = 0; i < s.Warmup; i++)
        {
            var warm = tracker.Update(reader);
            if (warm.Error is not null) throw new InvalidOperationException(warm.Error);
        }

        var runs = new List<RunStats>();
        ScanResult last = new();
        for (var r = 0; r < s.Repeat; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var gen0 = GC.CollectionCount(0);
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var process = Native.ProcessCpu();
            var thread = Native.ThreadCpuMicros();
            var wall = Stopwatch.GetTimestamp();
            long listed = 0, fresh = 0;
            for (var i = 0; i < s.Scans; i++)
            {
                last = tracker.Update(reader);
                listed += last.Listed;
                fresh += last.New;
            }
            var elapsed = Stopwatch.GetElapsedTime(wall);
            var threadCpu = Native.ThreadCpuMicros() - thread;
            var processCpu = Native.ProcessCpu() - process;
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            gen0 = GC.CollectionCount(0) - gen0;
            runs.Add(new RunStats(s.Scans, listed, fresh, processCpu, threadCpu, elapsed.Ticks / 10.0, allocated, gen0));
        }

        long threads = 0;
        var missing = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var proc in tracker.Tracker.Procs)
        {
            threads += proc.Latest.NumThreads;
            if (proc.Latest.Missing != MissingParts.None) missing[proc.Latest.Missing.ToString()] = missing.GetValueOrDefault(proc.Latest.Missing.ToString()) + 1;
        }
        var optionText = $"smaps={OnOff(s.Smaps)} threads={OnOff(s.Threads)} wchan={OnOff(s.Wchan)}";
        Console.WriteLine();
        Console.WriteLine($"root={root}  {optionText}  scans={s.Scans}x{s.Repeat}  warm-up={s.Warmup}  spawned={s.Spawn}  groups={tracker.Groups.Count}  tracked={tracker.Tracker.Count}  tasks in tracked={threads}");
        Console.WriteLine($"last scan: listed={last.Listed} observed={last.Observed} new={last.New} exited={last.Exited} vanished={last.Vanished} permission={last.PermissionErrors} failed={last.ReadErrors} partial={last.PartialErrors}");
        if (missing.Count > 0) Console.WriteLine($"parts missing in the last reading of tracked processes: {string.Join(", ", missing.Select(m => $"{m.Key} x{m.Value}"))}");
        Console.WriteLine();
        Console.WriteLine("| run | procs/scan | new/scan | CPU µs/proc/scan (process) | user | sys | CPU µs/proc/scan (scan thread) | wall µs/proc/scan | bytes/scan | bytes/proc/scan | gen0 GCs | options |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        for (var i = 0; i < runs.Count; i++) Console.WriteLine(runs[i].Row((i + 1).ToString(CultureInfo.InvariantCulture), optionText));
        if (runs.Count > 1)
        {
            var byCpu = runs.OrderBy(r => r.CpuPerProc).ToList();
            Console.WriteLine(byCpu[byCpu.Count / 2].Row("median", optionText));
            Console.WriteLine(byCpu[0].Row("best", optionText));
        }

        if (s.AllocBreakdown) AllocationBreakdown.Run(tracker, reader, s.Scans);
    }

    private static string OnOff(bool on) => on ? "on" : "off";

    private sealed record RunStats(int Scans, long Listed, long New, CpuTime Process, double ThreadMicros, double WallMicros, long Allocated, int Gen0)
    {
        public double CpuPerProc => (double)Process.TotalMicros / Listed;

        public string Row(string name, string options) => string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {(double)Listed / Scans:0} | {(double)New / Scans:0.#} | {CpuPerProc:0.00} | {(double)Process.UserMicros / Listed:0.00} | {(double)Process.SystemMicros / Listed:0.00} | {ThreadMicros / Listed:0.00} | {WallMicros / Listed:0.00} | {(double)Allocated / Scans:0} | {(double)Allocated / Listed:0.00} | {Gen0} | {options} |");
    }

    private static Settings Parse(string[] args)
    {
        var s = new Settings();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--root": s.Root = Value(args, ref i); break;
                case "--fixture": s.Fixture = Number(args, ref i, min: 1); break;
                case "--scans": s.Scans = Number(args, ref i, min: 1); break;
                case "--warmup": s.Warmup = Number(args, ref i, min: 1); break;
                case "--repeat": s.Repeat = Number(args, ref i, min: 1); break;
                case "--spawn": s.Spawn = Number(args, ref i, min: 0); break;
                case "--no-smaps": s.Smaps = false; break;
                case "--no-threads": s.Threads = false; break;
                case "--no-wchan": s.Wchan = false; break;
                case "--alloc-breakdown": s.AllocBreakdown = true; break;
                default: throw new ArgumentException($"unknown argument: {args[i]}");
            }
        }
        return s;
    }

    private static string Value(string[] args, ref int i) =>
        ++i < args.Length ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value");

    private static int Number(string[] args, ref int i, int min)
    {
        var text = Value(args, ref i);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min
            ? n
            : throw new ArgumentException($"{args[i - 1]} needs a whole number >= {min}, not {text}");
    }
}
