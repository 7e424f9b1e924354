using ProcActors.LoadTests.Runner;

namespace ProcActors.LoadTests.Reports;

/// <summary>A table of a report: the text and markdown reports render the same tables.</summary>
internal sealed record Table(string? Title, string[] Header, List<string[]> Rows);

/// <summary>The content shared by the text and markdown reports, as titled tables.</summary>
internal static class ReportModel
{
    public static IEnumerable<(string Heading, List<string> Lines, List<Table> Tables)> Sections(RunStats stats)
    {
        yield return ("test info", [
            $"test suite: {stats.TestSuite}",
            $"test name: {stats.TestName}",
            $"session id: {stats.SessionId}",
            $"started: {stats.StartedAt:yyyy-MM-dd HH:mm:ss zzz}, took {Format.Span(stats.Duration)}",
            .. stats.Machine.Split('\n'),
        ], []);

        foreach (var s in stats.Scenarios)
        {
            var lines = new List<string>
            {
                $"scenario: {s.ScenarioName}",
                $"  - ok count: {s.Ok.Request.Count}",
                $"  - fail count: {s.Fail.Request.Count}",
                $"  - all data: {Format.Num((s.Ok.DataTransfer.AllBytes + s.Fail.DataTransfer.AllBytes) / 1024.0 / 1024.0)} MB",
                $"  - duration: {Format.Span(s.Duration)}",
                $"  - process CPU during the run: {Format.Num(s.ProcessCpu.TotalSeconds)} s (user {Format.Num(s.ProcessCpu.UserMicros / 1e6)}, sys {Format.Num(s.ProcessCpu.SystemMicros / 1e6)})",
                $"  - GC during the run: gen0 {s.Runtime.Gen0Collections}, gen1 {s.Runtime.Gen1Collections}, gen2 {s.Runtime.Gen2Collections}, pauses {Format.Num(s.Runtime.GcPause.TotalMilliseconds)} ms in all, {Format.Bytes(s.Runtime.AllocatedBytes)} allocated" +
                    (s.AllRequestCount > 0 ? $" ({Format.Bytes((double)s.Runtime.AllocatedBytes / s.AllRequestCount)} per request)" : "") + $", working set at the end {Format.Bytes(s.Runtime.WorkingSetBytes)}",
                "load simulations:",
            };
            lines.AddRange(s.LoadSimulations.Select(l => $"  - {l.Describe()}"));
            if (s.Error is not null) lines.Add($"ERROR: {s.Error}");

            var tables = new List<Table>();
            foreach (var step in s.StepStats)
            {
                tables.Add(StepTable(step, error: false));
                if (step.Fail.Request.Count > 0) tables.Add(StepTable(step, error: true));
            }
            if (s.SchedulerLag.Count > 0)
            {
                var lag = s.SchedulerLag;
                tables.Add(new Table("scheduler lag (how late calls started against their intended time; included in the latency above)", ["lag (ms)", "value"],
                [
                    ["min/mean/max", $"{Format.Num(lag.MinMs)} / {Format.Num(lag.MeanMs)} / {Format.Num(lag.MaxMs)}"],
                    ["p50/p99", $"{Format.Num(lag.Percent50)} / {Format.Num(lag.Percent99)}"],
                ]));
            }
            var codes = s.Ok.StatusCodes.Concat(s.Fail.StatusCodes).ToList();
            if (codes.Count > 0)
            {
                tables.Add(new Table($"status codes for scenario: {s.ScenarioName}", ["status code", "count", "message"],
                    [.. codes.Select(c => new[] { (c.IsError ? "fail: " : "") + c.StatusCode, c.Count.ToString(Format.Inv), c.Message ?? "" })]));
            }
            if (s.Metrics.Count > 0)
            {
                tables.Add(new Table("metrics", ["metric", "unit", "kind", "count", "min", "mean", "max", "p50", "p75", "p95", "p99", "first", "last"],
                    [.. s.Metrics.Select(m => new[]
                    {
                        m.Name, m.Unit, m.Kind.ToString().ToLowerInvariant(), m.Count.ToString(Format.Inv), Format.Num(m.Min), Format.Num(m.Mean), Format.Num(m.Max),
                        Format.Num(m.Percent50), Format.Num(m.Percent75), Format.Num(m.Percent95), Format.Num(m.Percent99), Format.Num(m.First), Format.Num(m.Last),
                    })]));
            }
            if (s.Timeline.Count > 0)
            {
                tables.Add(new Table("latency over time (each row one progress tick of the run phase; ms)", ["t (s)", "ok", "fail", "p50", "p99", "max", "mean"],
                    [.. s.Timeline.Select(p => new[]
                    {
                        Format.Num(p.Seconds), p.Ok.ToString(Format.Inv), p.Fail.ToString(Format.Inv), Format.Num(p.Percent50), Format.Num(p.Percent99), Format.Num(p.MaxMs), Format.Num(p.MeanMs),
                    })]));
            }
            if (s.Thresholds.Count > 0) tables.Add(ThresholdTable($"thresholds for scenario: {s.ScenarioName}", s.Thresholds));
            yield return ($"scenario stats: {s.ScenarioName}", lines, tables);
        }

        if (stats.RunThresholds.Count > 0) yield return ("run thresholds", [], [ThresholdTable(null, stats.RunThresholds)]);
        yield return ("result", [stats.Passed ? "PASSED: every scenario ran and every threshold passed" : "FAILED: see the thresholds and errors above"], []);
    }

    private static Table StepTable(StepStats step, bool error)
    {
        var m = error ? step.Fail : step.Ok;
        var lt = m.Latency;
        var dt = m.DataTransfer;
        return new Table(null, ["step", error ? "fail stats" : "ok stats"],
        [
            ["name", step.StepName],
            ["request count", $"all = {step.AllRequestCount}, {(error ? "fail" : "ok")} = {m.Request.Count}, RPS = {Format.Num(m.Request.RPS)}"],
            ["latency (ms)", $"min = {Format.Num(lt.MinMs)}, mean = {Format.Num(lt.MeanMs)}, max = {Format.Num(lt.MaxMs)}, StdDev = {Format.Num(lt.StdDev)}"],
            ["latency percentile (ms)", $"p50 = {Format.Num(lt.Percent50)}, p75 = {Format.Num(lt.Percent75)}, p95 = {Format.Num(lt.Percent95)}, p99 = {Format.Num(lt.Percent99)}"],
            ["data transfer (KB)", $"min = {Format.Num(dt.MinBytes / 1024.0)}, mean = {Format.Num(dt.MeanBytes / 1024.0)}, max = {Format.Num(dt.MaxBytes / 1024.0)}, all = {Format.Num(dt.AllBytes / 1024.0 / 1024.0)} MB"],
        ]);
    }

    private static Table ThresholdTable(string? title, IEnumerable<ThresholdResult> results) =>
        new(title, ["threshold", "actual", "result"],
            [.. results.Select(t => new[] { t.Description, t.Actual ?? "", t.Passed ? "passed" : "FAILED" + (t.Error is null ? "" : $" ({t.Error})") })]);
}
