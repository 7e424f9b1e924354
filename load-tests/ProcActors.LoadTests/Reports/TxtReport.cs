using System.Text;
using ProcActors.LoadTests.Runner;

namespace ProcActors.LoadTests.Reports;

/// <summary>The plain-text report (also printed at the end of a run), laid out like NBomber's console report.</summary>
public static class TxtReport
{
    public static string Render(RunStats stats)
    {
        var text = new StringBuilder();
        foreach (var (heading, lines, tables) in ReportModel.Sections(stats))
        {
            text.AppendLine($"> {heading}");
            text.AppendLine();
            foreach (var line in lines) text.AppendLine(line);
            if (lines.Count > 0) text.AppendLine();
            foreach (var table in tables)
            {
                if (table.Title is not null) text.AppendLine($"{table.Title}:");
                var widths = table.Header.Select((h, i) => Math.Max(h.Length, table.Rows.Count == 0 ? 0 : table.Rows.Max(r => r[i].Length))).ToArray();
                string Row(string[] cells) => "| " + string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i]))) + " |";
                text.AppendLine(Row(table.Header));
                text.AppendLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
                foreach (var row in table.Rows) text.AppendLine(Row(row));
                text.AppendLine();
            }
        }
        return text.ToString();
    }
}
