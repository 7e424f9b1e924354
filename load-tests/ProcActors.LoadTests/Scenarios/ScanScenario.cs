using System.Diagnostics;
using System.Globalization;
using ProcActors.LoadTests.Runner;
using ProcActors.Procfs;
using ProcActors.Testing;
using ProcActors.Tracking;
using ProcActors.Tracking.Grouping;

namespace ProcActors.LoadTests.Scenarios;

/// <summary>
/// scan: full scans of a procfs root with the production code (ProcfsReader → ProcScanner → Tracker, through
/// LocalTracker: what the agent splits across actors, on one thread), closed model, one scan after the other. Per
/// scan: CPU of this whole process (getrusage: GC and JIT threads included), CPU of the scanning thread alone,
/// bytes it allocated, µs per process. When process-exporter is installed it runs next as the baseline scenario on
/// the same root with the same grouping (the same YAML config) and the same number of scrapes, each scrape being one
/// scan; its CPU per scrape comes from /proc/&lt;pid&gt;/stat. The run threshold wants it to use at least 4× the CPU.
/// </summary>
public static class ScanScenario
{
    public const string Ours = "scan";
    public const string Baseline = "process-exporter";
    public const string ProcessCpu = "process CPU per scan";
    public const string ThreadCpu = "scan thread CPU per scan";
    public const string Allocated = "allocated per scan (scan thread)";
    public const string MicrosPerProcess = "process CPU per process";
    public const string Listed = "processes listed";

    /// <summary>The host's default config (every user process, grouped by command name), given to both agents.</summary>
    public const string GroupingYaml = """
        process_names:
          - name: "{{.Comm}}"
            cmdline:
              - '.+'
        """;

    public static LoadRunner Build(LoadTestOptions options)
    {
        var state = new State(options);
        var warmUp = options.WarmUp ?? TimeSpan.FromSeconds(2);
        var ours = Scenario.Create(Ours, context =>
            {
                var wall = Stopwatch.StartNew();
                var process = Runner.Native.ProcessCpu();
                var thread = Runner.Native.ThreadCpuMicros();
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var result = state.Tracker!.Update(state.Reader!);
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
                var threadMicros = Runner.Native.ThreadCpuMicros() - thread;
                var processMicros = (Runner.Native.ProcessCpu() - process).TotalMicros;
                if (result.Error is not null) return Task.FromResult(Response.Fail("scan error", result.Error));
                context.Metrics.Record(ProcessCpu, processMicros / 1000.0, "ms");
                context.Metrics.Record(ThreadCpu, threadMicros / 1000.0, "ms");
                context.Metrics.Record(Allocated, allocated, "B");
                context.Metrics.Record(MicrosPerProcess, (double)processMicros / Math.Max(1, result.Listed), "µs");
                context.Metrics.Record(Listed, result.Listed);
                context.Metrics.Record("processes tracked", state.Tracker.Tracker.Count);
                if (state.Bounded is { } bounded)
                {
                    var plainWall = wall.Elapsed;
                    var boundedRun = Measure(bounded, state.BoundedReader!);
                    if (boundedRun.Result.Error is not null) return Task.FromResult(Response.Fail("bounded scan error", boundedRun.Result.Error));
                    context.Metrics.Record(BoundedProcessCpu, boundedRun.ProcessMicros / 1000.0, "ms");
                    context.Metrics.Record(BoundedReadingCpu, boundedRun.ReadingMicros / 1000.0, "ms");
                    context.Metrics.Record(BoundedAllocated, boundedRun.Allocated, "B");
                    context.Metrics.Record(BoundedCpuRatio, (double)boundedRun.ProcessMicros / Math.Max(1, processMicros));
                    context.Metrics.Record(BoundedReadingCpuRatio, (double)boundedRun.ReadingMicros / Math.Max(1, threadMicros));
                    context.Metrics.Record(BoundedWallRatio, boundedRun.Wall / plainWall);
                }
                return Task.FromResult(Response.Ok("scanned"));
            })
            .WithInit(context =>
            {
                state.Prepare(context.Logger);
                state.Reader = new ProcfsReader(state.Root!, new ProcfsOptions());
                state.Tracker = new LocalTracker(NamingConfig.Parse(GroupingYaml, "<grouping>"));
                var first = state.Tracker.Update(state.Reader);
                if (first.Error is not null) throw new InvalidOperationException(first.Error);
                if (options.ReadTimeout is { } deadline)
                {
                    state.BoundedReader = new ProcfsReader(state.Root!, new ProcfsOptions { ReadTimeouts = new ReadTimeouts(deadline, 4) });
                    state.Bounded = new LocalTracker(NamingConfig.Parse(GroupingYaml, "<grouping>"));
                    first = state.Bounded.Update(state.BoundedReader);
                    if (first.Error is not null) throw new InvalidOperationException(first.Error);
                }
                context.Metrics.Set("processes tracked after the first scan", state.Tracker.Tracker.Count);
                return Task.CompletedTask;
            })
            .WithClean(_ =>
            {
                if (!state.RunBaseline) state.Dispose();
                return Task.CompletedTask;
            })
            .WithWarmUpDuration(warmUp)
            .WithLoadSimulations(Simulation.IterationsForConstant(1, options.Scans))
            .WithThresholds(Threshold.Create("every scan succeeded", s => s.Fail.Request.Count == 0 && s.Ok.Request.Count == options.Scans,
                s => $"{s.Ok.Request.Count} ok of {options.Scans}"));

        var runner = LoadRunner.RegisterScenarios(state.RunBaseline ? [ours, BaselineScenario(state, options, warmUp)] : [ours])
            .WithTestName(Ours)
            .WithNote("root", options.Fixture > 0 ? $"a generated fixture tree of {options.Fixture} processes" : options.Root)
            .WithNote("grouping", "every process with a non-empty cmdline, grouped by comm (the host's default config; the same YAML for process-exporter)")
            .WithNote("reading", "stat, status, io, fd/, limits, smaps_rollup, wchan, task/<tid>/ of multi-threaded processes (process-exporter's -threads and -gather-smaps defaults, on for both)");
        if (!options.Baseline) return runner.WithNote("baseline", "none (--no-baseline)");
        if (!state.RunBaseline)
        {
            // Asked for a comparison that cannot run: the run fails rather than pass with nothing compared.
            return runner
                .WithNote("baseline", $"none: {options.ProcessExporter} is not installed (apt-get install prometheus-process-exporter, or --no-baseline)")
                .WithThresholds(RunThreshold.Create($"process-exporter ({options.ProcessExporter}) is installed for the comparison", _ => false, _ => "not installed"));
        }
        return runner
            .WithNote("baseline", $"{options.ProcessExporter} on the same root, one scrape of /metrics = one scan; its CPU from /proc/<pid>/stat (10 ms ticks, summed over the scrapes); it also renders the exposition text, which our scan does not")
            .WithThresholds(RunThreshold.Create(
                $"process-exporter uses at least {Format.Num(options.MinCpuRatio)}x our CPU per scan",
                all => CpuRatio(all) >= options.MinCpuRatio,
                all => $"{Format.Num(CpuRatio(all))}x ({Format.Num(MeanCpu(all, Baseline))} ms vs {Format.Num(MeanCpu(all, Ours))} ms per scan)"));
    }

    public const string BoundedProcessCpu = "bounded reads: process CPU per scan";
    public const string BoundedReadingCpu = "bounded reads: scan + reading thread CPU per scan";
    public const string BoundedAllocated = "bounded reads: allocated per scan (scan + reading threads)";
    public const string BoundedCpuRatio = "bounded/plain process CPU per scan";
    public const string BoundedReadingCpuRatio = "bounded/plain scan thread CPU per scan";
    public const string BoundedWallRatio = "bounded/plain wall time per scan";

    /// <summary>One scan with reads bounded: process CPU, CPU of this thread plus the reading threads', wall time.</summary>
    private static (ScanResult Result, long ProcessMicros, long ReadingMicros, long Allocated, TimeSpan Wall) Measure(LocalTracker tracker, ProcfsReader reader)
    {
        var wall = Stopwatch.StartNew();
        var process = Runner.Native.ProcessCpu();
        var thread = Runner.Native.ThreadCpuMicros();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var result = tracker.Update(reader);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated + result.ReaderAllocatedBytes;
        var threadMicros = Runner.Native.ThreadCpuMicros() - thread + (long)result.ReaderCpu.TotalMicroseconds;
        var processMicros = (Runner.Native.ProcessCpu() - process).TotalMicros;
        return (result, processMicros, threadMicros, allocated, wall.Elapsed);
    }

    /// <summary>Mean CPU per scan of process-exporter divided by ours.</summary>
    public static double CpuRatio(IReadOnlyList<ScenarioStats> all)
    {
        var ours = MeanCpu(all, Ours);
        return ours > 0 ? MeanCpu(all, Baseline) / ours : 0;
    }

    private static double MeanCpu(IReadOnlyList<ScenarioStats> all, string scenario) =>
        all.FirstOrDefault(s => s.ScenarioName == scenario)?.Metric(ProcessCpu)?.Mean ?? 0;

    private static ScenarioProps BaselineScenario(State state, LoadTestOptions options, TimeSpan warmUp)
    {
        ProcessExporter? exporter = null;
        return Scenario.Create(Baseline, async context =>
            {
                var before = exporter!.CpuMicros();
                var bytes = await exporter.ScrapeAsync(context.CancellationToken).ConfigureAwait(false);
                var after = exporter.CpuMicros();
                context.Metrics.Record(ProcessCpu, (after - before) / 1000.0, "ms");
                return Response.Ok("200", bytes);
            })
            .WithInit(async context =>
            {
                var config = Path.Combine(state.Temp, "grouping.yml");
                await File.WriteAllTextAsync(config, GroupingYaml, context.CancellationToken).ConfigureAwait(false);
                exporter = await ProcessExporter.StartAsync(options.ProcessExporter, ["-procfs", state.Root!, "-config.path", config], context.CancellationToken).ConfigureAwait(false);
                context.Logger.WriteLine($"[{Baseline}] pid {exporter.Pid} on 127.0.0.1:{exporter.Port}, -procfs {state.Root}");
            })
            .WithClean(async _ =>
            {
                if (exporter is not null) await exporter.DisposeAsync().ConfigureAwait(false);
                state.Dispose();
            })
            .WithWarmUpDuration(warmUp)
            .WithLoadSimulations(Simulation.IterationsForConstant(1, options.Scans))
            .WithThresholds(Threshold.Create("every scrape succeeded", s => s.Fail.Request.Count == 0 && s.Ok.Request.Count == options.Scans,
                s => $"{s.Ok.Request.Count} ok of {options.Scans}"));
    }

    /// <summary>Writes a fixture tree of N processes with the ProcActors.Testing writer: G command names, every 4th process with 3 threads, 4 fds each.</summary>
    public static FixtureTree CreateFixture(int processes, int groups)
    {
        var tree = new FixtureTree(prefix: "procactors-loadtest-");
        for (var i = 0; i < processes; i++)
        {
            var pid = 1000 + i;
            var comm = $"svc-{i % groups:D3}";
            FixtureThread[]? threads = i % 4 == 0
                ? [new(pid, comm, 'S', 100, 20), new(pid + 1_000_000, comm + "-io", 'S', 50, 10), new(pid + 2_000_000, comm + "-gc", 'R', 5, 1)]
                : null;
            tree.AddProcess(pid, comm, starttime: 1000 + (ulong)i, utime: (ulong)i % 500, stime: (ulong)i % 100, rss: 1000 + i % 5000,
                cmdline: [$"/usr/bin/{comm}", "--instance", i.ToString(CultureInfo.InvariantCulture)], fds: 4, threads: threads,
                readBytes: (ulong)i * 4096, writeBytes: (ulong)i * 1024, voluntary: (ulong)i, nonvoluntary: (ulong)i / 10);
        }
        return tree;
    }

    private sealed class State(LoadTestOptions options) : IDisposable
    {
        private FixtureTree? _fixture;

        public string? Root { get; private set; }

        public string Temp { get; } = Directory.CreateTempSubdirectory("procactors-scan-").FullName;

        public ProcfsReader? Reader { get; set; }

        public LocalTracker? Tracker { get; set; }

        /// <summary>With --read-timeout: the same scan with bounded reads, run right after each plain one.</summary>
        public LocalTracker? Bounded { get; set; }

        public ProcfsReader? BoundedReader { get; set; }

        public bool RunBaseline => options.Baseline && File.Exists(options.ProcessExporter);

        public void Prepare(TextWriter log)
        {
            if (Root is not null) return;
            if (options.Fixture <= 0)
            {
                Root = options.Root;
                return;
            }
            var clock = Stopwatch.StartNew();
            _fixture = CreateFixture(options.Fixture, options.Groups);
            Root = _fixture.Root;
            log.WriteLine($"[{Ours}] fixture of {options.Fixture} processes written to {Root} in {clock.Elapsed.TotalSeconds:0.0} s");
        }

        public void Dispose()
        {
            _fixture?.Dispose();
            _fixture = null;
            if (Directory.Exists(Temp)) Directory.Delete(Temp, recursive: true);
        }
    }
}
