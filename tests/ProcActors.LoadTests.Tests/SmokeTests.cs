using System.Globalization;
using ProcActors.LoadTests.Scenarios;
using ProcActors.Testing;

namespace ProcActors.LoadTests.Tests;

/// <summary>
/// Every scenario for a few seconds at a tiny size with loose thresholds, through the same entry point as the
/// command line: the exit code is 0, the four reports are written, and their numbers are sane. One at a time:
/// they start actor systems and measure CPU.
/// Parallelization is off for this collection: update-latency's "allocated per cycle" threshold counts the whole
/// process's allocations (GC.GetTotalAllocatedBytes), and in CI a test class running beside it doubled the figure
/// (999 KiB per cycle against 512 KiB).
/// </summary>
[CollectionDefinition(nameof(SmokeTests), DisableParallelization = true)]
public sealed class SmokeCollection;

/// <summary>The scenarios' smoke runs (see <see cref="SmokeCollection"/>).</summary>
[Collection(nameof(SmokeTests))]
public sealed class SmokeTests : IDisposable
{
    private readonly SmokeRun _run = new();

    public void Dispose() => _run.Dispose();

    private Task<(int ExitCode, string Output, List<Dictionary<string, string>> Rows)> RunAsync(params string[] args) => _run.RunAsync(args);

    private static double D(Dictionary<string, string> row, string column) => SmokeRun.D(row, column);

    private static void AssertSane(Dictionary<string, string> row, int minRequests, double maxP99Ms) => SmokeRun.AssertSane(row, minRequests, maxP99Ms);

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
        Assert.Contains("<polyline", await File.ReadAllTextAsync(Path.Combine(_run.Reports, "report.html"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
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
