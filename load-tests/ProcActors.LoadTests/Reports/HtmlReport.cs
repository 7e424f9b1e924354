using System.Net;
using System.Text;
using ProcActors.LoadTests.Runner;

namespace ProcActors.LoadTests.Reports;

/// <summary>
/// A self-contained HTML page: per scenario a latency-over-time plot (p50, p99 and max of each progress tick) and a
/// requests-per-second plot as inline SVG, one plot per sampled series (RSS, heap, ...), then the report's tables.
/// No script, no external asset.
/// </summary>
public static class HtmlReport
{
    private static readonly string[] Colors = ["#9a9a9a", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"];

    public static string Render(RunStats stats)
    {
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.AppendLine($"<title>{E(stats.TestSuite)} / {E(stats.TestName)} load test</title>");
        html.AppendLine("""
            <style>
            body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
            table{border-collapse:collapse;margin:.5em 0 1.2em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:14px}
            th{background:#f3f3f3}.passed{color:#2a7d2a;font-weight:bold}.failed{color:#c62828;font-weight:bold}
            svg{background:#fff;border:1px solid #ddd;margin:.3em 0}text{font-size:11px;fill:#444}
            </style></head><body>
            """);
        html.AppendLine($"<h1>{E(stats.TestSuite)} / {E(stats.TestName)}</h1>");
        html.AppendLine($"<p class=\"{(stats.Passed ? "passed" : "failed")}\">{(stats.Passed ? "PASSED" : "FAILED")}</p>");

        foreach (var scenario in stats.Scenarios)
        {
            html.AppendLine($"<h2>{E(scenario.ScenarioName)}</h2>");
            if (scenario.Timeline.Count > 0)
            {
                var t = scenario.Timeline;
                html.AppendLine(Chart("latency over time (ms; each point is one progress tick, timed from the intended start)", "s", "ms",
                [
                    // Drawn in this order so that p99 stays visible where it equals the max (few calls per tick).
                    ("max", [.. t.Select(p => new SeriesPoint(p.Seconds, p.MaxMs))]),
                    ("p99", [.. t.Select(p => new SeriesPoint(p.Seconds, p.Percent99))]),
                    ("p50", [.. t.Select(p => new SeriesPoint(p.Seconds, p.Percent50))]),
                ]));
                var rps = new List<SeriesPoint>();
                for (var i = 0; i < t.Count; i++)
                {
                    var length = t[i].Seconds - (i == 0 ? 0 : t[i - 1].Seconds);
                    if (length > 0) rps.Add(new SeriesPoint(t[i].Seconds, (t[i].Ok + t[i].Fail) / length));
                }
                html.AppendLine(Chart("completed requests per second", "s", "req/s", [("rps", rps)]));
            }
            foreach (var series in scenario.Metrics.Where(m => m.Kind == MetricKind.Series && m.Samples.Count > 1))
            {
                html.AppendLine(Chart($"{series.Name} over time", "s", series.Unit, [(series.Name, series.Samples)]));
            }
        }

        foreach (var (heading, lines, tables) in ReportModel.Sections(stats))
        {
            html.AppendLine($"<h3>{E(heading)}</h3>");
            if (lines.Count > 0) html.AppendLine("<p>" + string.Join("<br>", lines.Select(E)) + "</p>");
            foreach (var table in tables)
            {
                if (table.Title is not null) html.AppendLine($"<p><b>{E(table.Title)}</b></p>");
                html.Append("<table><tr>");
                foreach (var h in table.Header) html.Append($"<th>{E(h)}</th>");
                html.AppendLine("</tr>");
                foreach (var row in table.Rows)
                {
                    html.Append("<tr>");
                    foreach (var cell in row)
                    {
                        var css = cell == "passed" ? " class=\"passed\"" : cell.StartsWith("FAILED", StringComparison.Ordinal) ? " class=\"failed\"" : "";
                        html.Append($"<td{css}>{E(cell)}</td>");
                    }
                    html.AppendLine("</tr>");
                }
                html.AppendLine("</table>");
            }
        }
        html.AppendLine("</body></html>");
        return html.ToString();
    }

    /// <summary>A line chart as inline SVG: y from zero to a round maximum, the x axis in seconds of the run phase.</summary>
    public static string Chart(string title, string xUnit, string yUnit, IReadOnlyList<(string Name, IReadOnlyList<SeriesPoint> Points)> series)
    {
        const int width = 960, height = 280, left = 70, right = 170, top = 28, bottom = 36;
        var all = series.SelectMany(s => s.Points).ToList();
        var maxX = Math.Max(all.Count == 0 ? 1 : all.Max(p => p.Seconds), 1e-9);
        var maxY = NiceCeiling(all.Count == 0 ? 1 : all.Max(p => p.Value));
        double X(double x) => left + x / maxX * (width - left - right);
        double Y(double y) => height - bottom - y / maxY * (height - top - bottom);
        var svg = new StringBuilder();
        svg.AppendLine($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{E(title)}\">");
        svg.AppendLine($"<text x=\"{left}\" y=\"16\" style=\"font-size:13px;font-weight:bold\">{E(title)}</text>");
        for (var i = 0; i <= 5; i++)
        {
            var value = maxY * i / 5;
            var y = Y(value);
            svg.AppendLine($"<line x1=\"{left}\" y1=\"{N(y)}\" x2=\"{width - right}\" y2=\"{N(y)}\" stroke=\"#eee\"/>");
            svg.AppendLine($"<text x=\"{left - 6}\" y=\"{N(y + 4)}\" text-anchor=\"end\">{E(Format.Num(value))}</text>");
        }
        for (var i = 0; i <= 6; i++)
        {
            var value = maxX * i / 6;
            svg.AppendLine($"<text x=\"{N(X(value))}\" y=\"{height - bottom + 16}\" text-anchor=\"middle\">{E(Format.Num(value))}</text>");
        }
        svg.AppendLine($"<text x=\"{width - right}\" y=\"{height - 4}\" text-anchor=\"end\">{E(xUnit)}</text>");
        svg.AppendLine($"<text x=\"8\" y=\"{top - 4}\">{E(yUnit)}</text>");
        svg.AppendLine($"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - right}\" y2=\"{height - bottom}\" stroke=\"#888\"/>");
        svg.AppendLine($"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" stroke=\"#888\"/>");
        for (var s = 0; s < series.Count; s++)
        {
            var color = Colors[s % Colors.Length];
            var points = string.Join(' ', series[s].Points.Select(p => $"{N(X(p.Seconds))},{N(Y(p.Value))}"));
            svg.AppendLine($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\" points=\"{points}\"><title>{E(series[s].Name)}</title></polyline>");
            svg.AppendLine($"<text x=\"{width - right + 10}\" y=\"{top + 14 + 16 * s}\" style=\"fill:{color}\">{E(series[s].Name)}</text>");
        }
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    /// <summary>1, 2 or 5 times a power of ten, at least the value.</summary>
    public static double NiceCeiling(double value)
    {
        if (value <= 0 || double.IsNaN(value)) return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1.0, 2, 5, 10 })
        {
            if (step * magnitude >= value) return step * magnitude;
        }
        return 10 * magnitude;
    }

    private static string N(double value) => Math.Round(value, 1).ToString("0.#", Format.Inv);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
