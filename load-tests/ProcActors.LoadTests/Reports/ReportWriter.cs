using ProcActors.LoadTests.Runner;

namespace ProcActors.LoadTests.Reports;

internal static class ReportWriter
{
    /// <summary>Writes one file per format into the folder (created if needed); returns their paths.</summary>
    public static IReadOnlyList<string> Write(RunStats stats, string folder, string fileName, IEnumerable<ReportFormat> formats)
    {
        var files = new List<string>();
        foreach (var format in formats.Distinct())
        {
            Directory.CreateDirectory(folder);
            var (extension, text) = format switch
            {
                ReportFormat.Txt => ("txt", TxtReport.Render(stats)),
                ReportFormat.Md => ("md", MdReport.Render(stats)),
                ReportFormat.Csv => ("csv", CsvReport.Render(stats)),
                ReportFormat.Html => ("html", HtmlReport.Render(stats)),
                _ => throw new ArgumentOutOfRangeException(nameof(formats), format, null),
            };
            var path = Path.GetFullPath(Path.Combine(folder, $"{fileName}.{extension}"));
            File.WriteAllText(path, text);
            files.Add(path);
        }
        return files;
    }
}
