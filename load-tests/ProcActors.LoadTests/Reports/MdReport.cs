using System.Text;
using ProcActors.LoadTests.Runner;

namespace ProcActors.LoadTests.Reports;

/// <summary>The markdown report: the same content as the text one, as markdown tables.</summary>
public static class MdReport
{
    public static string Render(RunStats stats)
    {
        var text = new StringBuilder();
        foreach (var (heading, lines, tables) in ReportModel.Sections(stats))
        {
            text.AppendLine($"## {heading}");
            text.AppendLine();
            foreach (var line in lines) text.AppendLine(line.StartsWith("  - ", StringComparison.Ordinal) ? line.Trim() : line + "  ");
            if (lines.Count > 0) text.AppendLine();
            foreach (var table in tables)
            {
                if (table.Title is not null)
                {
                    text.AppendLine($"**{Cell(table.Title)}**");
                    text.AppendLine();
                }
                text.AppendLine("| " + string.Join(" | ", table.Header.Select(Cell)) + " |");
                text.AppendLine("|" + string.Join("|", table.Header.Select(_ => "---")) + "|");
                foreach (var row in table.Rows) text.AppendLine("| " + string.Join(" | ", row.Select(Cell)) + " |");
                text.AppendLine();
            }
        }
        return text.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
