using System.Globalization;

namespace ProcActors.LoadTests.Tests;

/// <summary>Runs the load-test CLI in process with its reports in a temporary folder, and reads them back.</summary>
internal sealed class SmokeRun : IDisposable
{
    private readonly string _reports = Directory.CreateTempSubdirectory("loadtests-smoke-").FullName;

    public string Reports => _reports;

    public void Dispose()
    {
        if (Directory.Exists(_reports)) Directory.Delete(_reports, recursive: true);
    }

    public async Task<(int ExitCode, string Output, List<Dictionary<string, string>> Rows)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var exit = await Cli.RunAsync([.. args, "--report-dir", _reports, "--no-progress", "--tick", "250ms"], output, output, TestContext.Current.CancellationToken);
        foreach (var extension in new[] { "txt", "md", "csv", "html" })
        {
            Assert.True(File.Exists(Path.Combine(_reports, $"report.{extension}")), $"report.{extension} missing:\n{output}");
        }
        var lines = await File.ReadAllLinesAsync(Path.Combine(_reports, "report.csv"), TestContext.Current.CancellationToken);
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.Item1, p => p.Item2)).ToList();
        var html = await File.ReadAllTextAsync(Path.Combine(_reports, "report.html"), TestContext.Current.CancellationToken);
        Assert.True(html.Contains("<svg", StringComparison.Ordinal), $"report.html has no chart (exit code {exit}):\n{output}");
        var report = await File.ReadAllTextAsync(Path.Combine(_reports, "report.txt"), TestContext.Current.CancellationToken);
        return (exit, output + "\n" + report, rows);
    }

    public static double D(Dictionary<string, string> row, string column) => double.Parse(row[column], CultureInfo.InvariantCulture);

    public static void AssertSane(Dictionary<string, string> row, int minRequests, double maxP99Ms)
    {
        Assert.True(D(row, "request_count") >= minRequests, $"{row["scenario"]}: {row["request_count"]} requests");
        Assert.Equal(0, D(row, "failed"));
        Assert.InRange(D(row, "min"), 0.0001, D(row, "50_percent"));
        Assert.InRange(D(row, "50_percent"), D(row, "min"), D(row, "99_percent"));
        Assert.InRange(D(row, "99_percent"), D(row, "50_percent"), Math.Min(D(row, "max"), maxP99Ms));
        Assert.True(D(row, "rps") > 0);
    }
}
