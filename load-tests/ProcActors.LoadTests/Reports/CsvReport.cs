using System.Globalization;
using System.Text;
using ProcActors.LoadTests.Runner;

namespace ProcActors.LoadTests.Reports;

/// <summary>
/// NBomber's CSV layout: one row per scenario step ("global information" is the invocation as a whole), ok
/// latencies in milliseconds, data transfer in KB and MB. It keeps exactly NBomber's columns so that tooling made
/// for NBomber reads it; custom metrics and thresholds are in the other reports.
/// </summary>
public static class CsvReport
{
    public static readonly string[] Columns =
    [
        "test_suite", "test_name", "scenario", "duration", "step_name", "request_count", "ok", "failed", "rps",
        "min", "mean", "max", "50_percent", "75_percent", "95_percent", "99_percent", "std_dev",
        "data_transfer_min_kb", "data_transfer_mean_kb", "data_transfer_max_kb", "data_transfer_all_mb",
    ];

    public static string Render(RunStats stats)
    {
        var text = new StringBuilder();
        text.AppendLine(string.Join(',', Columns));
        foreach (var scenario in stats.Scenarios)
        {
            foreach (var step in scenario.StepStats)
            {
                var lt = step.Ok.Latency;
                var dt = step.Ok.DataTransfer;
                string[] cells =
                [
                    stats.TestSuite, stats.TestName, scenario.ScenarioName, Format.Span(scenario.Duration), step.StepName,
                    N(step.AllRequestCount), N(step.Ok.Request.Count), N(step.Fail.Request.Count), D(step.Ok.Request.RPS),
                    D(lt.MinMs), D(lt.MeanMs), D(lt.MaxMs), D(lt.Percent50), D(lt.Percent75), D(lt.Percent95), D(lt.Percent99), D(lt.StdDev),
                    D(dt.MinBytes / 1024.0), D(dt.MeanBytes / 1024.0), D(dt.MaxBytes / 1024.0), D(dt.AllBytes / 1024.0 / 1024.0),
                ];
                text.AppendLine(string.Join(',', cells.Select(Escape)));
            }
        }
        return text.ToString();
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string D(double value) => Math.Round(value, 3).ToString("0.###", CultureInfo.InvariantCulture);

    private static string Escape(string cell) =>
        cell.IndexOfAny([',', '"', '\n']) >= 0 ? $"\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : cell;
}
