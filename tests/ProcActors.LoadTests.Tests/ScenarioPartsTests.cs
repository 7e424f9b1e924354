using ProcActors.LoadTests.Runner;
using ProcActors.LoadTests.Scenarios;
using ProcActors.Procfs;

namespace ProcActors.LoadTests.Tests;

/// <summary>The pieces the scenarios are made of: the synthetic table, the growth rule, the command line.</summary>
public sealed class ScenarioPartsTests
{
    [Fact]
    public void The_synthetic_table_churns_at_a_constant_size_with_pid_reuse_and_unique_pids()
    {
        var source = new SyntheticProcSource(new SyntheticOptions { Processes = 2000, Groups = 7, Churn = 0.05, ThreadedEvery = 4 });
        var previous = Scan(source);
        var reused = 0;
        var fresh = 0;
        for (var scan = 0; scan < 20; scan++)
        {
            var current = Scan(source);
            Assert.Equal(2000, current.Count);
            Assert.Equal(current.Count, current.Select(p => p.Pid).Distinct().Count());
            var before = previous.ToDictionary(p => p.Pid, p => p.StartTicks);
            foreach (var id in current.Where(id => !previous.Contains(id)))
            {
                if (before.ContainsKey(id.Pid)) reused++;
                else fresh++;
            }
            previous = current;
        }
        // 5 % of 2000 replaced per scan, about half of them on the freed pid (a slot picked twice in one scan counts once).
        Assert.InRange(reused + fresh, 1700, 2000);
        Assert.InRange(reused, 600, 1400);
        Assert.True(source.TryGetScanStart(21, out _));
    }

    [Fact]
    public void The_synthetic_table_gives_threads_and_static_facts_named_by_group()
    {
        var source = new SyntheticProcSource(new SyntheticOptions { Processes = 100, Groups = 3, ThreadedEvery = 2 });
        source.BeginScan(out var start, out _);
        Assert.NotNull(start.UptimeTicks);
        var metrics = new ProcMetrics();
        int threaded = 0, names = 0;
        var groups = new HashSet<string>();
        while (source.MoveNext())
        {
            Assert.Equal(ReadStatus.Ok, source.ReadMetrics(ref metrics));
            if (metrics.ThreadCount > 0)
            {
                threaded++;
                Assert.Equal(4, metrics.States.Total);
            }
            source.ReadStatic(out var facts);
            groups.Add(SyntheticProcSource.Namer.Name(facts!)!);
            names++;
        }
        Assert.Equal(100, names);
        Assert.InRange(threaded, 25, 75);
        Assert.Equal(3, groups.Count);
    }

    [Fact]
    public void Growth_compares_the_last_third_of_the_samples_with_the_first()
    {
        SeriesPoint[] flat = [.. Enumerable.Range(0, 12).Select(i => new SeriesPoint(i, i % 2 == 0 ? 100 : 104))];
        Assert.InRange(SoakScenario.GrowthPercent(flat), -0.1, 0.1);
        Assert.InRange(SoakScenario.SlopePerMinute(flat), -10, 10);

        SeriesPoint[] leak = [.. Enumerable.Range(0, 12).Select(i => new SeriesPoint(i * 5, 100 + i * 10))];
        Assert.Equal((195 - 115) * 100.0 / 115, SoakScenario.GrowthPercent(leak), 6); // medians of 100..130 and 180..210
        Assert.Equal(120, SoakScenario.SlopePerMinute(leak), 1);
    }

    [Fact]
    public void The_update_latency_target_is_10_ms_at_10k_and_50_ms_at_50k()
    {
        Assert.Equal(10, UpdateLatencyScenario.TargetP99Ms(1_000));
        Assert.Equal(10, UpdateLatencyScenario.TargetP99Ms(10_000));
        Assert.Equal(30, UpdateLatencyScenario.TargetP99Ms(30_000));
        Assert.Equal(50, UpdateLatencyScenario.TargetP99Ms(50_000));

        // The soak's sampler forces a full collection every few seconds: its cycles may meet one.
        Assert.Equal(50, SoakScenario.TargetP99Ms(10_000));
        Assert.Equal(250, SoakScenario.TargetP99Ms(50_000));
    }

    [Fact]
    public void Update_latency_by_default_runs_long_enough_that_its_p99_is_not_its_slowest_cycle()
    {
        // The runner's histogram (100 ns units), one cycle per millisecond value: 1 ms, 2 ms, ... n ms.
        static double P99(int cycles)
        {
            var histogram = LatencyCollector.NewHistogram();
            for (var ms = 1; ms <= cycles; ms++) histogram.RecordValue(ms * TimeSpan.TicksPerMillisecond);
            return LatencyCollector.Latency(histogram).Percent99;
        }

        // A 20 s run at 2 cycles a second: the p99 is the slowest of its 40 cycles.
        Assert.Equal(40, P99(40), 1);
        var options = Cli.Parse(["update-latency"]);
        var run = (InjectSimulation)Cli.Load(options, UpdateLatencyScenario.DefaultRate, UpdateLatencyScenario.SteadyDuration);
        var cycles = (int)(run.Duration.TotalSeconds * run.Rate / run.Interval.TotalSeconds);
        Assert.True(cycles >= 100, $"{cycles} cycles");
        // Not the slowest, nor more than 1 % of the cycles above it.
        var p99 = P99(cycles);
        Assert.InRange(p99, cycles - Math.Ceiling(cycles / 100.0), cycles - 1 + 0.5);
    }

    [Fact]
    public void The_command_line_reads_durations_rates_and_rejects_mistakes()
    {
        var options = Cli.Parse(["update-latency", "--procs", "50000", "--duration", "2m", "--rate", "0.5", "--report-dir", "x", "--warmup", "0s"]);
        Assert.Equal((50_000, TimeSpan.FromMinutes(2), 0.5, "x", TimeSpan.Zero), (options.Procs, options.Duration, options.Rate, options.ReportDir, options.WarmUp));
        Assert.Equal(TimeSpan.FromMilliseconds(500), Cli.ParseSpan("500ms"));
        Assert.Equal(TimeSpan.FromSeconds(90), Cli.ParseSpan("00:01:30"));
        var slow = (InjectSimulation)Cli.Load(options, 2, TimeSpan.FromSeconds(30));
        Assert.Equal((1, TimeSpan.FromSeconds(2)), (slow.Rate, slow.Interval));
        Assert.IsType<KeepConstantSimulation>(Cli.Load(options with { Copies = 2 }, 2, TimeSpan.FromSeconds(30)));

        Assert.Throws<ArgumentException>(() => Cli.Parse(["nope"]));
        Assert.Throws<ArgumentException>(() => Cli.Parse(["scan", "--scans", "0"]));
        Assert.Throws<ArgumentException>(() => Cli.Parse(["scan", "--bogus"]));
        Assert.Throws<ArgumentException>(() => Cli.Parse(["soak", "--duration", "soon"]));
    }

    [Fact]
    public async Task Bad_usage_exits_with_2()
    {
        var error = new StringWriter();
        Assert.Equal(2, await Cli.RunAsync(["restore"], TextWriter.Null, error, TestContext.Current.CancellationToken));
        Assert.Contains("unknown scenario", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Reports_go_to_load_tests_reports_of_the_repository_by_default()
    {
        var dir = Cli.DefaultReportDir("scan");
        Assert.EndsWith(Path.Combine("load-tests", "reports", "scan"), dir, StringComparison.Ordinal);
    }

    private static List<ProcId> Scan(SyntheticProcSource source)
    {
        source.BeginScan(out _, out _);
        var ids = new List<ProcId>();
        while (source.MoveNext()) ids.Add(source.Current);
        return ids;
    }
}
