using System.Globalization;
using ProcActors.LoadTests.Scenarios;
using ProcActors.Testing;

namespace ProcActors.LoadTests.Tests;

/// <summary>
/// Every scenario for a few seconds at a tiny size with loose thresholds, through the same entry point as the
/// command line: the exit code is 0, the four reports are written, and their numbers are sane. One at a time:
/// they start actor systems and measure CPU.
/// </summary>
[Collection(nameof(SmokeTests))]
public sealed class SmokeTests : IDisposable
{
    private readonly string _reports = Directory.CreateTempSubdirectory("loadtests-smoke-").FullName;

    public void Dispose()
    {
        if (Directory.Exists(_reports)) Directory.Delete(_reports, recursive: true);
    }

    private async Task<(int ExitCode, string Output, List<Dictionary<string, string>> Rows)> RunAsync(params string[] args)
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
        Assert.Contains("<svg", await File.ReadAllTextAsync(Path.Combine(_reports, "report.html"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        var report = await File.ReadAllTextAsync(Path.Combine(_reports, "report.txt"), TestContext.Current.CancellationToken);
        return (exit, output + "\n" + report, rows);
    }

    private static double D(Dictionary<string, string> row, string column) => double.Parse(row[column], CultureInfo.InvariantCulture);

    private static void AssertSane(Dictionary<string, string> row, int minRequests, double maxP99Ms)
    {
        Assert.True(D(row, "request_count") >= minRequests, $"{row["scenario"]}: {row["request_count"]} requests");
        Assert.Equal(0, D(row, "failed"));
        Assert.InRange(D(row, "min"), 0.0001, D(row, "50_percent"));
        Assert.InRange(D(row, "50_percent"), D(row, "min"), D(row, "99_percent"));
        Assert.InRange(D(row, "99_percent"), D(row, "50_percent"), Math.Min(D(row, "max"), maxP99Ms));
        Assert.True(D(row, "rps") > 0);
    }

    [Fact]
    public async Task Update_latency_drives_the_real_pipeline()
    {
        var (exit, output, rows) = await RunAsync("update-latency", "--procs", "500", "--groups", "10", "--duration", "2s", "--rate", "5",
            "--warmup", "500ms", "--p99-target-ms", "2000");

        Assert.True(exit == 0, output);
        var row = Assert.Single(rows);
        Assert.Equal("update-latency", row["scenario"]);
        AssertSane(row, minRequests: 10, maxP99Ms: 2000);
        Assert.Contains("every view tracks all 500 processes | min 500, max 500 | passed", output, StringComparison.Ordinal);
        Assert.Contains("pipeline update latency (scan start → view)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_fails_when_the_comparison_it_was_asked_for_cannot_run()
    {
        var (exit, output, _) = await RunAsync("scan", "--fixture", "20", "--groups", "2", "--scans", "2", "--warmup", "100ms",
            "--process-exporter", "/nonexistent/process-exporter");
        Assert.True(exit != 0, output);
        Assert.Contains("is installed for the comparison", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_measures_a_fixture_tree_against_process_exporter()
    {
        if (await DebianPackages.EnsureAsync("/usr/bin/prometheus-process-exporter", "prometheus-process-exporter") is { } missing)
            Assert.Skip($"the scan scenario compares with process-exporter: {missing}");
        // Large enough that both CPU figures are many clock ticks; the real ratio is ~6x (README), 2x leaves room for noise.
        var (exit, output, rows) = await RunAsync("scan", "--fixture", "300", "--groups", "5", "--scans", "10", "--warmup", "200ms", "--min-cpu-ratio", "2");

        Assert.True(exit == 0, output);
        AssertSane(rows[0], minRequests: 10, maxP99Ms: 5000);
        Assert.Contains("| processes listed ", output, StringComparison.Ordinal);
        Assert.Contains("| process CPU per process ", output, StringComparison.Ordinal);
        Assert.Contains("| allocated per scan (scan thread) ", output, StringComparison.Ordinal);
        Assert.Equal(["scan", "process-exporter"], rows.Select(r => r["scenario"]));
        AssertSane(rows[1], minRequests: 10, maxP99Ms: 5000);
        Assert.True(D(rows[1], "data_transfer_mean_kb") > 1, "the exporter's /metrics has the groups");
        Assert.Contains("process-exporter uses at least 2x our CPU per scan", output, StringComparison.Ordinal);
        // The fixture tree is deleted at the end.
        var written = output.Split('\n').Single(l => l.Contains("fixture of 300 processes written to ", StringComparison.Ordinal));
        var root = written[(written.IndexOf(" to ", StringComparison.Ordinal) + 4)..written.LastIndexOf(" in ", StringComparison.Ordinal)];
        Assert.False(Directory.Exists(root), root);
    }

    [Fact]
    public async Task Ask_local_asks_the_aggregator_in_process()
    {
        var (exit, output, rows) = await RunAsync("ask-local", "--procs", "300", "--groups", "10", "--duration", "2s", "--rate", "300",
            "--warmup", "500ms", "--p99-target-ms", "2000");

        Assert.True(exit == 0, output);
        Assert.Equal(["global information", "GetGroups", "GetTop"], rows.Select(r => r["step_name"]));
        AssertSane(rows[0], minRequests: 600, maxP99Ms: 2000);
        Assert.Equal(300, D(rows[1], "request_count"));
    }

    [Fact]
    public async Task Ask_remote_inproc_asks_the_aggregator_over_akka_remote()
    {
        var (exit, output, rows) = await RunAsync("ask-remote-inproc", "--procs", "300", "--groups", "10", "--duration", "2s", "--rate", "100",
            "--warmup", "500ms", "--p99-target-ms", "2000");

        Assert.True(exit == 0, output);
        Assert.Contains("akka.tcp://procactors@127.0.0.1:", output, StringComparison.Ordinal);
        AssertSane(rows[0], minRequests: 200, maxP99Ms: 2000);
        Assert.True(D(rows[1], "data_transfer_mean_kb") > 1, "GetGroups replies carry the groups");
    }

    [Fact]
    public async Task Ask_remote_asks_a_real_agent_process_with_the_typed_client()
    {
        var (exit, output, rows) = await RunAsync("ask-remote", "--procs", "300", "--groups", "10", "--duration", "4s", "--rate", "50",
            "--warmup", "500ms", "--scan-interval", "500ms", "--p99-target-ms", "2000");

        Assert.True(exit == 0, output);
        Assert.Contains("[ask-remote] asking 127.0.0.1:", output, StringComparison.Ordinal);
        AssertSane(rows[0], minRequests: 100, maxP99Ms: 2000);
    }

    [Fact]
    public async Task Ask_fleet_asks_a_three_agent_cluster_and_survives_kill_9_of_one()
    {
        var (exit, output, rows) = await RunAsync("ask-fleet", "--procs", "200", "--groups", "10", "--duration", "4s", "--rate", "20",
            "--warmup", "500ms", "--scan-interval", "500ms", "--kill-one", "--p99-target-ms", "2000");

        Assert.True(exit == 0, output);
        Assert.Contains("kill -9ed", output, StringComparison.Ordinal);
        AssertSane(rows[0], minRequests: 80, maxP99Ms: 2000);
    }

    [Fact]
    public async Task Soak_samples_memory_and_tracker_sizes()
    {
        var (exit, output, rows) = await RunAsync("soak", "--procs", "500", "--groups", "10", "--duration", "3s", "--rate", "5",
            "--warmup", "500ms", "--sample-interval", "500ms", "--p99-target-ms", "2000", "--max-growth-pct", "1000");

        Assert.True(exit == 0, output);
        AssertSane(Assert.Single(rows), minRequests: 10, maxP99Ms: 2000);
        Assert.Contains($"| {SoakScenario.Tracked} ", output, StringComparison.Ordinal);
        Assert.Contains($"{SoakScenario.LiveHeap}: growth", output, StringComparison.Ordinal);
        Assert.Contains("<polyline", await File.ReadAllTextAsync(Path.Combine(_reports, "report.html"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Persist_saves_and_recovers_through_the_sqlite_snapshot_store()
    {
        var (exit, output, rows) = await RunAsync("persist", "--store", "sqlite", "--procs", "300", "--groups", "10", "--iterations", "5",
            "--warmup", "200ms");

        Assert.True(exit == 0, output);
        Assert.Equal(["global information", PersistScenario.SaveStep, PersistScenario.RecoverStep], rows.Select(r => r["step_name"]));
        Assert.All(rows, r => Assert.Equal("persist-sqlite", r["scenario"]));
        AssertSane(rows[1], minRequests: 5, maxP99Ms: 2000);
        AssertSane(rows[2], minRequests: 5, maxP99Ms: 2000);
        Assert.True(D(rows[1], "data_transfer_mean_kb") > 10, "the snapshot's size is the step's data transfer");
        Assert.Contains("every recovered snapshot holds all 300 processes | min 300, max 300 | passed", output, StringComparison.Ordinal);
        Assert.Contains($"| {PersistScenario.SnapshotBytes} ", output, StringComparison.Ordinal);
        // The temp database (and its WAL) is deleted at the end.
        var file = output.Split('\n').Single(l => l.StartsWith("persist-sqlite: /", StringComparison.Ordinal))["persist-sqlite: ".Length..].Trim();
        Assert.Contains("persist-sqlite: after the run the file's header says journal mode wal", output, StringComparison.Ordinal);
        Assert.False(File.Exists(file), file);
        Assert.False(File.Exists(file + "-wal"), file);
    }

    [Fact]
    public async Task Persist_starts_and_stops_its_own_postgres_server()
    {
        if (await DebianPackages.EnsureAsync("/usr/lib/postgresql/*/bin/initdb", "postgresql") is { } missing)
            Assert.Skip($"no PostgreSQL server to test against: {missing}");
        var (exit, output, rows) = await RunAsync("persist", "--store", "postgres", "--procs", "300", "--groups", "10", "--iterations", "3",
            "--warmup", "200ms");

        Assert.True(exit == 0, output);
        Assert.All(rows, r => Assert.Equal("persist-postgres", r["scenario"]));
        AssertSane(rows[1], minRequests: 3, maxP99Ms: 2000);
        AssertSane(rows[2], minRequests: 3, maxP99Ms: 2000);
        // Only the server it started, stopped and its data folder deleted at the end.
        var line = output.Split('\n').Single(l => l.StartsWith("persist-postgres: own PostgreSQL server on ", StringComparison.Ordinal));
        var directory = line[(line.IndexOf(" in ", StringComparison.Ordinal) + 4)..].Trim();
        Assert.False(Directory.Exists(directory), directory);
    }
}
