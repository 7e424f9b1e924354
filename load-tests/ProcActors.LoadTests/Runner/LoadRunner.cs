using System.Diagnostics;
using HdrHistogram;
using ProcActors.LoadTests.Reports;

namespace ProcActors.LoadTests.Runner;

/// <summary>
/// Runs registered scenarios and writes their reports (NBomber's NBomberRunner). Scenarios run one after the
/// other in registration order, each as init → warm-up (results dropped) → run → clean; NBomber runs them side
/// by side, but here several scenarios measure CPU and must not disturb each other. The exit code is 0 only when
/// every scenario ran and every threshold passed.
/// </summary>
public sealed class LoadRunner
{
    private readonly List<ScenarioProps> _scenarios;
    private readonly List<RunThreshold> _runThresholds = [];
    private string _testSuite = "procactors";
    private string _testName = "load";
    private string _reportFolder = "reports";
    private string _reportFileName = "report";
    private ReportFormat[] _formats = [ReportFormat.Txt, ReportFormat.Md, ReportFormat.Csv, ReportFormat.Html];
    private TextWriter? _progress = Console.Out;
    private TextWriter _logger = Console.Out;
    private TimeSpan _tick = TimeSpan.FromSeconds(1);
    private readonly Dictionary<string, string> _notes = new(StringComparer.Ordinal);

    private LoadRunner(IEnumerable<ScenarioProps> scenarios) => _scenarios = [.. scenarios];

    public static LoadRunner RegisterScenarios(params ScenarioProps[] scenarios)
    {
        if (scenarios.Length == 0) throw new ArgumentException("register at least one scenario", nameof(scenarios));
        if (scenarios.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count() != scenarios.Length)
            throw new ArgumentException("scenario names must be unique", nameof(scenarios));
        return new LoadRunner(scenarios);
    }

    public LoadRunner WithTestSuite(string testSuite) => Set(() => _testSuite = testSuite);

    public LoadRunner WithTestName(string testName) => Set(() => _testName = testName);

    public LoadRunner WithReportFolder(string folder) => Set(() => _reportFolder = folder);

    public LoadRunner WithReportFileName(string fileName) => Set(() => _reportFileName = fileName);

    public LoadRunner WithReportFormats(params ReportFormat[] formats) => Set(() => _formats = formats);

    public LoadRunner WithoutReports() => Set(() => _formats = []);

    public LoadRunner WithThresholds(params RunThreshold[] thresholds) => Set(() => _runThresholds.AddRange(thresholds));

    /// <summary>Where the progress line goes (null: nowhere) and how often the timeline gets a point.</summary>
    public LoadRunner WithProgress(TextWriter? writer, TimeSpan? tick = null) => Set(() =>
    {
        _progress = writer;
        if (tick is { } t && t > TimeSpan.Zero) _tick = t;
    });

    public LoadRunner WithLogger(TextWriter logger) => Set(() => _logger = logger);

    /// <summary>A line for the reports' header (machine, settings, what was measured how).</summary>
    public LoadRunner WithNote(string key, string value) => Set(() => _notes[key] = value);

    private LoadRunner Set(Action set)
    {
        set();
        return this;
    }

    public RunResult Run() => RunAsync().GetAwaiter().GetResult();

    public async Task<RunResult> RunAsync(CancellationToken cancellationToken = default)
    {
        var startedAt = DateTimeOffset.Now;
        var clock = Stopwatch.StartNew();
        var results = new List<ScenarioStats>();
        foreach (var scenario in _scenarios)
        {
            results.Add(await RunScenarioAsync(scenario, cancellationToken).ConfigureAwait(false));
        }

        var runThresholds = _runThresholds.Select(t => Evaluate("(run)", t.Description, () => t.Check(results), t.Actual is null ? null : () => t.Actual(results))).ToList();
        var stats = new RunStats(_testSuite, _testName, $"{startedAt:yyyy-MM-dd_HH.mm.ss}_session_{Guid.NewGuid().ToString("N")[..8]}",
            startedAt, clock.Elapsed, results, runThresholds, MachineInfo.Describe(_notes));
        var files = ReportWriter.Write(stats, _reportFolder, _reportFileName, _formats);
        _progress?.WriteLine();
        _progress?.Write(TxtReport.Render(stats));
        foreach (var file in files) _progress?.WriteLine($"report: {file}");
        return new RunResult(stats.Passed ? 0 : 1, stats, files);
    }

    private async Task<ScenarioStats> RunScenarioAsync(ScenarioProps scenario, CancellationToken cancellationToken)
    {
        var metrics = new ScenarioMetrics();
        var init = new InitContext(scenario.Name, metrics, _logger, cancellationToken);
        string? error = null;
        var run = new PhaseCollectors();
        var duration = TimeSpan.Zero;
        var cpu = default(CpuTime);
        var runtime = RuntimeStats.Empty;
        var timeline = new List<TimelinePoint>();
        var initialized = false;
        try
        {
            if (scenario.Init is not null) await scenario.Init(init).ConfigureAwait(false);
            initialized = true;

            if (scenario.WarmUpDuration > TimeSpan.Zero)
            {
                var warm = new PhaseCollectors();
                var warmUp = new PhaseRunner(scenario, metrics, _logger, warm, warmUp: true, cancellationToken);
                // A timeline of its own, thrown away: the run's first tick must not be the first to run (and JIT) that code.
                await WithProgressAsync(scenario, "warm-up", scenario.WarmUpDuration, warmUp, warm, [], null,
                    warmUp.RunAsync([scenario.LoadSimulations[0].For(scenario.WarmUpDuration)])).ConfigureAwait(false);
            }

            metrics.StartRun();
            var phase = new PhaseRunner(scenario, metrics, _logger, run, warmUp: false, cancellationToken);
            var planned = scenario.LoadSimulations.All(s => s.During is not null)
                ? TimeSpan.FromTicks(scenario.LoadSimulations.Sum(s => s.During!.Value.Ticks))
                : (TimeSpan?)null;
            var cpuBefore = Native.ProcessCpu();
            var gcBefore = RuntimeStats.Snapshot();
            var clock = Stopwatch.StartNew();
            await WithProgressAsync(scenario, "run", planned, phase, run, timeline, init, phase.RunAsync(scenario.LoadSimulations)).ConfigureAwait(false);
            var elapsed = clock.Elapsed;
            cpu = Native.ProcessCpu() - cpuBefore;
            runtime = RuntimeStats.Since(gcBefore);
            duration = planned ?? elapsed;
            metrics.StopRun();
        }
        catch (Exception e)
        {
            error = $"{(initialized ? "run" : "init")} failed: {e.GetType().Name}: {e.Message}";
            _logger.WriteLine($"[{scenario.Name}] {error}");
            metrics.StopRun();
        }
        finally
        {
            if (scenario.Clean is not null)
            {
                try
                {
                    await scenario.Clean(init).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    error ??= $"clean failed: {e.GetType().Name}: {e.Message}";
                    _logger.WriteLine($"[{scenario.Name}] clean failed: {e}");
                }
            }
        }

        var global = run.Global.ToStats(duration);
        var lag = run.Lag.GetIntervalHistogram();
        var stats = new ScenarioStats
        {
            ScenarioName = scenario.Name,
            Duration = duration,
            LoadSimulations = scenario.LoadSimulations,
            Ok = global.Ok,
            Fail = global.Fail,
            StepStats = [global, .. run.Steps.Select(s => s.ToStats(duration))],
            SchedulerLag = scenario.LoadSimulations.Any(s => s.IsOpenModel) ? LatencyCollector.Latency(lag) : LatencyStats.Empty,
            ProcessCpu = cpu,
            Runtime = runtime,
            Metrics = metrics.ToStats(),
            Timeline = timeline,
            Error = error,
        };
        return stats with
        {
            Thresholds = [.. scenario.Thresholds.Select(t => Evaluate(scenario.Name, t.Description, () => t.Check(stats), t.Actual is null ? null : () => t.Actual(stats)))],
        };
    }

    /// <summary>
    /// Waits for a phase while, every tick, draining the interval histograms (a timeline point in the run phase),
    /// calling the sampler when due, and printing the progress line.
    /// </summary>
    private async Task WithProgressAsync(
        ScenarioProps scenario, string phaseName, TimeSpan? planned, PhaseRunner phase, PhaseCollectors collectors,
        List<TimelinePoint>? timeline, IScenarioInitContext? samplerContext, Task work)
    {
        var clock = Stopwatch.StartNew();
        var interactive = _progress == Console.Out && !Console.IsOutputRedirected;
        var lastLine = TimeSpan.Zero;
        var nextSample = TimeSpan.Zero;
        while (true)
        {
            if (samplerContext is not null && scenario.Sampler is not null && clock.Elapsed >= nextSample)
            {
                await scenario.Sampler(samplerContext).ConfigureAwait(false);
                nextSample += scenario.SamplerInterval;
            }
            var finished = await Task.WhenAny(work, Task.Delay(_tick)).ConfigureAwait(false) == work;
            var now = clock.Elapsed;
            var (interval, fails) = collectors.Global.Drain();
            if (timeline is not null && (interval.TotalCount > 0 || fails > 0 || !finished))
                timeline.Add(Point(now.TotalSeconds, interval, fails));
            if (_progress is not null && (finished || interactive || now - lastLine >= TimeSpan.FromSeconds(5)))
            {
                lastLine = now;
                var line = ProgressLine(scenario.Name, phaseName, now, planned, phase, collectors, interval);
                if (interactive) _progress.Write($"\r{line,-150}");
                else _progress.WriteLine(line);
            }
            if (finished) break;
        }
        if (interactive) _progress!.WriteLine();
        if (samplerContext is not null && scenario.Sampler is not null) await scenario.Sampler(samplerContext).ConfigureAwait(false);
        await work.ConfigureAwait(false);
    }

    private static TimelinePoint Point(double seconds, HistogramBase interval, long fails)
    {
        var latency = LatencyCollector.Latency(interval);
        return new TimelinePoint(Math.Round(seconds, 3), interval.TotalCount, fails, latency.Percent50, latency.Percent99, latency.MaxMs, latency.MeanMs);
    }

    private static string ProgressLine(string name, string phase, TimeSpan elapsed, TimeSpan? planned, PhaseRunner runner, PhaseCollectors collectors, HistogramBase interval)
    {
        var latency = LatencyCollector.Latency(interval);
        var of = planned is { } p ? $"/{p.TotalSeconds:0}s" : "";
        return string.Create(Format.Inv,
            $"[{name}] {phase} {elapsed.TotalSeconds:0}s{of}  ok {collectors.Global.OkCount}  fail {collectors.Global.FailCount}  in-flight {runner.InFlight}  last tick: {interval.TotalCount} ok, p50 {Format.Num(latency.Percent50)} ms, p99 {Format.Num(latency.Percent99)} ms, max {Format.Num(latency.MaxMs)} ms");
    }

    private static ThresholdResult Evaluate(string scenario, string description, Func<bool> check, Func<string>? actual)
    {
        string? value = null;
        try
        {
            value = actual?.Invoke();
            return new ThresholdResult(scenario, description, check(), value, null);
        }
        catch (Exception e)
        {
            return new ThresholdResult(scenario, description, false, value, $"{e.GetType().Name}: {e.Message}");
        }
    }
}
