using System.Net;
using System.Text;
using ProcActors.Actors.View;

namespace ProcActors.Host;

/// <summary>The small page at /: a link to the metrics and the groups table.</summary>
public static class StatusPage
{
    public static string Render(NodeView view, string telemetryPath)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>ProcActors</title>")
            .Append("<style>body{font-family:sans-serif}td,th{padding:2px 10px;text-align:right}td:first-child,th:first-child{text-align:left}</style></head><body>")
            .Append("<h1>ProcActors</h1><p><a href=\"").Append(WebUtility.HtmlEncode(telemetryPath)).Append("\">Metrics</a></p>")
            .Append("<p>Node ").Append(WebUtility.HtmlEncode(view.Node)).Append(", cycle ").Append(view.Cycle)
            .Append(", updated ").Append(view.UpdatedAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "never").Append("</p>")
            .Append("<table><tr><th>Group</th><th>Procs</th><th>CPU %</th><th>Resident MiB</th><th>Read B/s</th><th>Write B/s</th><th>Threads</th><th>Exited unseen</th><th>Their CPU s</th></tr>");
        foreach (var group in view.Groups.Values.OrderBy(g => g.Stats.Name, StringComparer.Ordinal))
        {
            var s = group.Stats;
            html.Append("<tr><td>").Append(WebUtility.HtmlEncode(s.Name)).Append("</td><td>").Append(s.Procs)
                .Append("</td><td>").Append(group.CpuPercent.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture))
                .Append("</td><td>").Append((s.Memory.ResidentBytes / 1048576.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture))
                .Append("</td><td>").Append(group.ReadBytesPerSecond.ToString("0", System.Globalization.CultureInfo.InvariantCulture))
                .Append("</td><td>").Append(group.WriteBytesPerSecond.ToString("0", System.Globalization.CultureInfo.InvariantCulture))
                .Append("</td><td>").Append(s.NumThreads)
                .Append("</td><td>").Append(s.ShortLived.ExitedUnseen)
                .Append("</td><td>").Append(s.ShortLived.UnseenCpuSeconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)).Append("</td></tr>");
        }
        return html.Append("</table></body></html>").ToString();
    }
}
