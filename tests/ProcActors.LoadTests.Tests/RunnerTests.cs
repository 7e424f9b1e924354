using System.Collections.Concurrent;
using System.Diagnostics;
using ProcActors.LoadTests.Reports;
using ProcActors.LoadTests.Runner;

namespace ProcActors.LoadTests.Tests;

/// <summary>The scenario runner itself: schedules, models, statistics, thresholds, reports.</summary>
public sealed class RunnerTests
{
    private static async Task<RunResult> RunAsync(ScenarioProps scenario, params RunThreshold[] runThresholds) =>
        await LoadRunner.RegisterScenarios(scenario).WithoutReports().WithProgress(null).WithLogger(TextWriter.Null)
            .WithThresholds(runThresholds).RunAsync(TestContext.Current.CancellationToken);

    [Fact]
    public void Inject_spreads_rate_calls_evenly_over_each_interval()
    {
        var inject = (InjectSimulation)Simulation.Inject(50, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));

        Assert.Equal(500, inject.TotalCalls);
        var step = Stopwatch.Frequency / 500; // 2 ms
        Assert.Equal(0, inject.OffsetTicks(0));
        Assert.Equal(step, inject.OffsetTicks(1));
        Assert.Equal(250 * step, inject.OffsetTicks(250));
        Assert.Equal(499 * step, inject.OffsetTicks(499));
        // A fractional last interval injects its share.
        Assert.Equal(25, ((InjectSimulation)Simulation.Inject(10, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2.5))).TotalCalls);
    }

    [Fact]
    public async Task Inject_starts_every_call_at_its_intended_time_and_runs_the_planned_duration()
    {
        var intended = new ConcurrentBag<long>();
        var lags = new ConcurrentBag<double>();
        var scenario = Scenario.Create("inject", context =>
            {
                intended.Add(context.IntendedStart);
                lags.Add(Stopwatch.GetElapsedTime(context.IntendedStart).TotalMilliseconds);
                return Task.FromResult(Response.Ok());
            })
            .WithoutWarmUp()
            .WithLoadSimulations(Simulation.Inject(100, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)));

        var clock = Stopwatch.StartNew();
        var result = await RunAsync(scenario);

        var stats = result.Stats.Scenarios.Single();
        Assert.Equal(500, stats.Ok.Request.Count);
        Assert.Equal(500, intended.Count);
        var sorted = intended.Order().ToArray();
        var step = Stopwatch.Frequency / 500;
        for (var k = 1; k < sorted.Length; k++) Assert.InRange(sorted[k] - sorted[k - 1], step - 1, step + 1);
        Assert.InRange(Stopwatch.GetElapsedTime(sorted[0], sorted[^1]).TotalMilliseconds, 997, 999);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.99, 5);
        Assert.Equal(1.0, stats.Duration.TotalSeconds);
        Assert.Equal(500, stats.Ok.Request.RPS);
        // Most calls start within a few ms of their intended time (a loaded CI machine may delay some).
        Assert.True(lags.Order().ElementAt(lags.Count / 2) < 20, $"median start lag {lags.Order().ElementAt(lags.Count / 2)} ms");
        Assert.Equal(500, stats.SchedulerLag.Count);
    }

    [Fact]
    public async Task Inject_times_calls_from_their_intended_start_so_a_stall_is_not_hidden()
    {
        // The system stalls from 0.5 s to 1.0 s: every call arriving meanwhile waits for the end of the stall. An
        // open-model runner keeps sending (200 calls) and times each from its intended start, so about 50 calls
        // show latencies from 500 ms down to 0; a closed loop would have sent one call and recorded one slow one.
        var start = 0L;
        var scenario = Scenario.Create("stall", async context =>
            {
                Interlocked.CompareExchange(ref start, context.IntendedStart, 0);
                var at = Stopwatch.GetElapsedTime(Interlocked.Read(ref start), context.IntendedStart);
                if (at >= TimeSpan.FromMilliseconds(500) && at < TimeSpan.FromMilliseconds(1000))
                {
                    var stallEnd = Interlocked.Read(ref start) + InjectSimulation.ToStopwatchTicks(TimeSpan.FromSeconds(1));
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), stallEnd);
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, context.CancellationToken);
                }
                return Response.Ok();
            })
            .WithoutWarmUp()
            .WithLoadSimulations(Simulation.Inject(100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)));

        var stats = (await RunAsync(scenario)).Stats.Scenarios.Single();

        Assert.Equal(200, stats.Ok.Request.Count);
        Assert.True(stats.Ok.Latency.MaxMs >= 450, $"max {stats.Ok.Latency.MaxMs} ms");
        // The 10 slowest of 200 waited at least 400 ms (the first tenth of the stall window).
        Assert.True(stats.Ok.Latency.Percent95 >= 350, $"p95 {stats.Ok.Latency.Percent95} ms");
        // A quarter of the calls fell into the stall: p75 sits at its short end, p50 outside it.
        Assert.True(stats.Ok.Latency.Percent50 < 100, $"p50 {stats.Ok.Latency.Percent50} ms");
    }

    [Fact]
    public async Task A_response_completed_earlier_than_its_return_is_timed_to_its_completion()
    {
        var scenario = Scenario.Create("completed-at", async context =>
            {
                var done = Stopwatch.GetTimestamp();
                await Task.Delay(200, context.CancellationToken);
                return Response.Ok(completedAt: done);
            })
            .WithoutWarmUp()
            .WithLoadSimulations(Simulation.IterationsForConstant(1, 3));

        var stats = (await RunAsync(scenario)).Stats.Scenarios.Single();

        Assert.Equal(3, stats.Ok.Request.Count);
        Assert.True(stats.Ok.Latency.MaxMs < 100, $"max {stats.Ok.Latency.MaxMs} ms");
    }

    [Fact]
    public async Task KeepConstant_runs_exactly_the_copies_in_a_loop_and_IterationsForConstant_the_iterations()
    {
        var running = 0;
        var most = 0;
        var scenario = Scenario.Create("constant", async context =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref most, now);
                await Task.Delay(10, context.CancellationToken);
                Interlocked.Decrement(ref running);
                return Response.Ok();
            })
            .WithoutWarmUp()
            .WithLoadSimulations(Simulation.KeepConstant(3, TimeSpan.FromMilliseconds(300)), Simulation.IterationsForConstant(2, 17));

        var stats = (await RunAsync(scenario)).Stats.Scenarios.Single();

        Assert.Equal(3, most);
        Assert.InRange(stats.Ok.Request.Count, 17 + 30, 17 + 100);
        Assert.Equal(0, stats.SchedulerLag.Count);
    }

    [Fact]
    public async Task Warm_up_results_are_dropped_and_the_run_phase_counts_alone()
    {
        var warm = 0;
        var scenario = Scenario.Create("warm", context =>
            {
                if (context.IsWarmUp) Interlocked.Increment(ref warm);
                context.Metrics.Record("value", 1);
                return Task.FromResult(Response.Ok());
            })
            .WithWarmUpDuration(TimeSpan.FromMilliseconds(200))
            .WithLoadSimulations(Simulation.IterationsForConstant(1, 5));

        var stats = (await RunAsync(scenario)).Stats.Scenarios.Single();

        Assert.True(warm > 5, $"{warm} warm-up calls");
        Assert.Equal(5, stats.Ok.Request.Count);
        Assert.Equal(5, stats.Metric("value")!.Count);
    }

    [Fact]
    public void Latency_percentiles_come_from_the_histogram_within_its_precision()
    {
        var collector = new LatencyCollector("step");
        for (var ms = 1; ms <= 1000; ms++) collector.Record(Response.Ok(), InjectSimulation.ToStopwatchTicks(TimeSpan.FromMilliseconds(ms)));
        collector.Record(Response.Fail("E1", "broken"), InjectSimulation.ToStopwatchTicks(TimeSpan.FromMilliseconds(5)));

        var stats = collector.ToStats(TimeSpan.FromSeconds(10));

        Assert.Equal(1000, stats.Ok.Request.Count);
        Assert.Equal(100, stats.Ok.Request.RPS);
        Assert.Equal(1, stats.Fail.Request.Count);
        Assert.Equal(1001, stats.AllRequestCount);
        var lt = stats.Ok.Latency;
        Assert.Equal(1, lt.MinMs, 0.01);
        Assert.Equal(1000, lt.MaxMs, 1.0);
        Assert.Equal(500.5, lt.MeanMs, 0.5);
        Assert.Equal(288.7, lt.StdDev, 0.5);
        Assert.Equal(500, lt.Percent50, 0.5);
        Assert.Equal(750, lt.Percent75, 0.75);
        Assert.Equal(950, lt.Percent95, 1.0);
        Assert.Equal(990, lt.Percent99, 1.0);
        var fail = Assert.Single(stats.Fail.StatusCodes);
        Assert.Equal(("E1", 1L, "broken"), (fail.StatusCode, fail.Count, fail.Message));
    }

    [Fact]
    public async Task A_failed_threshold_or_a_broken_scenario_gives_a_non_zero_exit_code()
    {
        ScenarioProps Scenario(string name) => Runner.Scenario.Create(name, _ => Task.FromResult(Response.Ok())).WithoutWarmUp()
            .WithLoadSimulations(Simulation.IterationsForConstant(1, 3));

        var passing = await RunAsync(Scenario("ok").WithThresholds(Threshold.Create("three calls", s => s.Ok.Request.Count == 3)));
        Assert.Equal(0, passing.ExitCode);

        var failing = await RunAsync(Scenario("threshold").WithThresholds(Threshold.Create("p99 below zero", s => s.Ok.Latency.Percent99 < 0, s => "x")));
        Assert.Equal(1, failing.ExitCode);
        var result = Assert.Single(failing.Stats.AllThresholds);
        Assert.False(result.Passed);
        Assert.Equal("x", result.Actual);

        var throwing = await RunAsync(Scenario("throws").WithThresholds(Threshold.Create("throws", _ => throw new InvalidOperationException("no"))));
        Assert.Equal(1, throwing.ExitCode);

        var run = await RunAsync(Scenario("run"), RunThreshold.Create("impossible", _ => false));
        Assert.Equal(1, run.ExitCode);

        var broken = await RunAsync(Scenario("init").WithInit(_ => throw new InvalidOperationException("cannot start")));
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("cannot start", broken.Stats.Scenarios.Single().Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_invocations_are_counted_by_status_code_and_exceptions_are_failures()
    {
        var scenario = Scenario.Create("mixed", context => context.InvocationNumber % 3 == 0
                ? throw new InvalidOperationException("boom")
                : Task.FromResult(context.InvocationNumber % 3 == 1 ? Response.Ok("200", sizeBytes: 2048) : Response.Fail("503", "busy")))
            .WithoutWarmUp()
            .WithLoadSimulations(Simulation.IterationsForConstant(1, 9));

        var stats = (await RunAsync(scenario)).Stats.Scenarios.Single();

        Assert.Equal(3, stats.Ok.Request.Count);
        Assert.Equal(6, stats.Fail.Request.Count);
        Assert.Equal(2048, stats.Ok.DataTransfer.MeanBytes);
        Assert.Equal(["503", "exception"], stats.Fail.StatusCodes.Select(c => c.StatusCode).Order(StringComparer.Ordinal));
        Assert.Contains("boom", stats.Fail.StatusCodes.Single(c => c.StatusCode == "exception").Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Steps_get_their_own_rows_and_the_csv_has_nbombers_columns()
    {
        var scenario = Scenario.Create("steps", async context =>
            {
                await Step.Run("first", context, () => Task.FromResult(Response.Ok()));
                return await Step.Run("second", context, () => Task.FromResult(Response.Ok(sizeBytes: 1024)));
            })
            .WithoutWarmUp()
            .WithLoadSimulations(Simulation.IterationsForConstant(1, 4));
        var folder = Directory.CreateTempSubdirectory("loadtests-csv-").FullName;
        try
        {
            var result = await LoadRunner.RegisterScenarios(scenario).WithReportFolder(folder).WithProgress(null)
                .WithTestSuite("suite").WithTestName("name").RunAsync(TestContext.Current.CancellationToken);

            Assert.Equal(["report.txt", "report.md", "report.csv", "report.html"], result.ReportFiles.Select(Path.GetFileName));
            var lines = File.ReadAllLines(Path.Combine(folder, "report.csv"));
            Assert.Equal(
                "test_suite,test_name,scenario,duration,step_name,request_count,ok,failed,rps,min,mean,max," +
                "50_percent,75_percent,95_percent,99_percent,std_dev,data_transfer_min_kb,data_transfer_mean_kb,data_transfer_max_kb,data_transfer_all_mb",
                lines[0]);
            Assert.Equal(CsvReport.Columns.Length, lines[0].Split(',').Length);
            var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
            Assert.Equal(["global information", "first", "second"], rows.Select(r => r[4]));
            Assert.All(rows, r => Assert.Equal(CsvReport.Columns.Length, r.Length));
            Assert.All(rows, r => Assert.Equal(("suite", "name", "steps", "4", "4", "0"), (r[0], r[1], r[2], r[5], r[6], r[7])));
            Assert.Equal("1", rows[2][18]);
            var html = File.ReadAllText(Path.Combine(folder, "report.html"));
            Assert.Contains("<svg", html, StringComparison.Ordinal);
            Assert.Contains("<polyline", html, StringComparison.Ordinal);
            Assert.Contains("latency over time", html, StringComparison.Ordinal);
            Assert.Contains("| name                    | second", File.ReadAllText(Path.Combine(folder, "report.txt")), StringComparison.Ordinal);
            Assert.Contains("| latency percentile (ms) |", File.ReadAllText(Path.Combine(folder, "report.md")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_step_first_run_by_many_copies_at_once_gets_one_row()
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scenario = Scenario.Create("race", async context =>
            {
                await start.Task;
                return await Step.Run("shared", context, () => Task.FromResult(Response.Ok()));
            })
            .WithoutWarmUp()
            .WithLoadSimulations(Simulation.IterationsForConstant(8, 64));

        var run = RunAsync(scenario);
        await Task.Delay(100, TestContext.Current.CancellationToken);
        start.SetResult();
        var stats = (await run).Stats.Scenarios.Single();

        Assert.Equal(["global information", "shared"], stats.StepStats.Select(s => s.StepName));
        Assert.Equal(64, stats.Step("shared")!.Ok.Request.Count);
    }

    [Fact]
    public async Task Progress_lines_are_printed_while_a_scenario_runs()
    {
        var output = new StringWriter();
        var scenario = Scenario.Create("progress", _ => Task.FromResult(Response.Ok())).WithoutWarmUp()
            .WithLoadSimulations(Simulation.Inject(20, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(600)));

        await LoadRunner.RegisterScenarios(scenario).WithoutReports().WithProgress(output, TimeSpan.FromMilliseconds(100))
            .RunAsync(TestContext.Current.CancellationToken);

        var text = output.ToString();
        Assert.Contains("[progress] run ", text, StringComparison.Ordinal);
        Assert.Contains("ok 120", text, StringComparison.Ordinal);
        Assert.Contains("> scenario stats: progress", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_give_exact_percentiles_and_series_their_samples()
    {
        var scenario = Scenario.Create("metrics", context =>
            {
                context.Metrics.Record("cpu", context.InvocationNumber, "ms");
                return Task.FromResult(Response.Ok());
            })
            .WithoutWarmUp()
            .WithSampler(TimeSpan.FromMilliseconds(50), context =>
            {
                context.Metrics.Sample("rss", 100, "MiB");
                return Task.CompletedTask;
            })
            .WithLoadSimulations(Simulation.IterationsForConstant(1, 100));

        var stats = (await RunAsync(scenario)).Stats.Scenarios.Single();

        var cpu = stats.Metric("cpu")!;
        Assert.Equal((100L, 1.0, 100.0, 50.5, 50.0, 99.0), (cpu.Count, cpu.Min, cpu.Max, cpu.Mean, cpu.Percent50, cpu.Percent99));
        var rss = stats.Metric("rss")!;
        Assert.Equal(MetricKind.Series, rss.Kind);
        Assert.True(rss.Samples.Count >= 2);
    }

    [Fact]
    public void The_html_chart_scales_to_a_round_maximum()
    {
        Assert.Equal(1, HtmlReport.NiceCeiling(0.7));
        Assert.Equal(50, HtmlReport.NiceCeiling(41));
        Assert.Equal(200, HtmlReport.NiceCeiling(101));
        var svg = HtmlReport.Chart("t", "s", "ms", [("p99", [new SeriesPoint(0, 1), new SeriesPoint(1, 2)])]);
        Assert.StartsWith("<svg", svg, StringComparison.Ordinal);
        Assert.Contains("points=\"70,", svg, StringComparison.Ordinal);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current) return;
            current = seen;
        }
    }
}
