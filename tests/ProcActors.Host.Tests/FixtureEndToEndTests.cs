using ProcActors.Testing;

namespace ProcActors.Host.Tests;

/// <summary>
/// The built agent against a procfs tree the test writes and changes while the agent runs: the exact values on
/// /metrics follow every change (advancing counters, births, exits, a reused pid).
/// </summary>
public sealed class FixtureEndToEndTests : IDisposable
{
    private const string Config = """
        process_names:
          - name: "{{.Comm}}"
            comm: [web, db]
        """;

    private readonly FixtureTree _tree = new(uptime: "1000.00 2000.00\n");
    private readonly string _configPath = Path.Combine(Path.GetTempPath(), $"procactors-e2e-{Guid.NewGuid():N}.yml");

    public FixtureEndToEndTests() => File.WriteAllText(_configPath, Config);

    public void Dispose()
    {
        _tree.Dispose();
        File.Delete(_configPath);
    }

    private void Write(int pid, string comm, ulong start, ulong work, long rss = 100, int fds = 2) =>
        _tree.AddProcess(pid, comm, starttime: start, utime: work, stime: work / 2, minflt: work * 3, majflt: work / 10,
            voluntary: work * 5, nonvoluntary: work / 5, readBytes: work * 1000, writeBytes: work * 100, rss: rss, fds: fds);

    private static void AssertCounters(MetricsText m, string group, ulong work)
    {
        Assert.Equal(work / 100.0, m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", group, "mode", "user"), 9);
        Assert.Equal(work / 2 / 100.0, m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", group, "mode", "system"), 9);
        Assert.Equal(work * 3, m.Value("namedprocess_namegroup_minor_page_faults_total", "groupname", group));
        Assert.Equal(work / 10, m.Value("namedprocess_namegroup_major_page_faults_total", "groupname", group));
        Assert.Equal(work * 5, m.Value("namedprocess_namegroup_context_switches_total", "groupname", group, "ctxswitchtype", "voluntary"));
        Assert.Equal(work / 5, m.Value("namedprocess_namegroup_context_switches_total", "groupname", group, "ctxswitchtype", "nonvoluntary"));
        Assert.Equal(work * 1000, m.Value("namedprocess_namegroup_read_bytes_total", "groupname", group));
        Assert.Equal(work * 100, m.Value("namedprocess_namegroup_write_bytes_total", "groupname", group));
    }

    [Fact]
    public async Task Metrics_follow_counters_births_exits_and_pid_reuse_exactly()
    {
        Write(100, "web", start: 5_000, work: 1_000);
        Write(101, "web", start: 6_000, work: 2_000);
        Write(200, "db", start: 7_000, work: 500, rss: 300, fds: 5);
        Write(300, "other", start: 7_500, work: 10);

        await using var agent = await AgentProcess.StartAsync("-procfs", _tree.Root, "-config.path", _configPath, "--scan-interval", "100ms");
        var m = await agent.UntilAsync(x => x.TryValue("procactors_cycle", out var c) && c >= 2, "two cycles");

        // Already running at the first scan: their history is not counted, only what follows.
        Assert.Equal(2, m.Value("namedprocess_namegroup_num_procs", "groupname", "web"));
        Assert.Equal(1, m.Value("namedprocess_namegroup_num_procs", "groupname", "db"));
        Assert.False(m.Has("namedprocess_namegroup_num_procs", "groupname", "other"));
        AssertCounters(m, "web", 0);
        Assert.Equal(300 * Environment.SystemPageSize, m.Value("namedprocess_namegroup_memory_bytes", "groupname", "db", "memtype", "resident"));
        Assert.Equal(5, m.Value("namedprocess_namegroup_open_filedesc", "groupname", "db"));
        Assert.Equal(5 / 1024.0, m.Value("namedprocess_namegroup_worst_fd_ratio", "groupname", "db"), 9);
        Assert.Equal(FixtureTree.DefaultBootTime + 70, m.Value("namedprocess_namegroup_oldest_start_time_seconds", "groupname", "db"));

        // Counters advance.
        Write(100, "web", start: 5_000, work: 1_040);
        Write(101, "web", start: 6_000, work: 2_060);
        m = await agent.NextFullCycleAsync();
        AssertCounters(m, "web", 100);
        AssertCounters(m, "db", 0);

        // A process born after the previous scan counts everything it did.
        Write(102, "web", start: 105_000, work: 700);
        _tree.SetUptime(1100);
        m = await agent.NextFullCycleAsync();
        Assert.Equal(3, m.Value("namedprocess_namegroup_num_procs", "groupname", "web"));
        AssertCounters(m, "web", 800);

        // An exit keeps the group's counters; only the gauges drop.
        _tree.DeleteProcess(101);
        m = await agent.NextFullCycleAsync();
        Assert.Equal(2, m.Value("namedprocess_namegroup_num_procs", "groupname", "web"));
        AssertCounters(m, "web", 800);

        // pid 200 is reused by a web process born after the previous scan: db empties, web gains its full work.
        _tree.DeleteProcess(200);
        Write(200, "web", start: 115_000, work: 200);
        _tree.SetUptime(1200);
        m = await agent.NextFullCycleAsync();
        Assert.Equal(0, m.Value("namedprocess_namegroup_num_procs", "groupname", "db"));
        Assert.Equal(0, m.Value("namedprocess_namegroup_memory_bytes", "groupname", "db", "memtype", "resident"));
        Assert.Equal(3, m.Value("namedprocess_namegroup_num_procs", "groupname", "web"));
        AssertCounters(m, "web", 1_000);
        AssertCounters(m, "db", 0);
        Assert.Equal(0, m.Value("namedprocess_scrape_errors"));
        Assert.Equal(0, m.Value("namedprocess_scrape_procread_errors"));
    }

    [Fact]
    public async Task A_counter_that_goes_backwards_never_lowers_a_group_counter()
    {
        Write(100, "web", start: 5_000, work: 1_000);
        await using var agent = await AgentProcess.StartAsync("-procfs", _tree.Root, "-config.path", _configPath, "--scan-interval", "100ms");
        await agent.UntilAsync(x => x.TryValue("procactors_cycle", out var c) && c >= 1, "a cycle");

        Write(100, "web", start: 5_000, work: 1_100);
        var m = await agent.NextFullCycleAsync();
        AssertCounters(m, "web", 100);

        Write(100, "web", start: 5_000, work: 900);
        m = await agent.NextFullCycleAsync();
        AssertCounters(m, "web", 100);
        Assert.True(m.Value("procactors_backwards_counters_total") > 0);

        Write(100, "web", start: 5_000, work: 950);
        m = await agent.NextFullCycleAsync();
        AssertCounters(m, "web", 150);
    }

    [Fact]
    public async Task Once_to_stdout_scans_twice_prints_the_metrics_and_exits_zero()
    {
        Write(100, "web", start: 5_000, work: 1_000);
        using var process = System.Diagnostics.Process.Start(AgentProcess.StartInfo(
            ["-procfs", _tree.Root, "-config.path", _configPath, "-once-to-stdout-delay", "300ms", "--persistence", "none"]))!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(0, process.ExitCode);
        var m = MetricsText.Parse(await stdout);
        Assert.Equal(1, m.Value("namedprocess_namegroup_num_procs", "groupname", "web"));
        Assert.Equal(2, m.Value("procactors_cycle"));
        Assert.DoesNotContain("namedprocess", await stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_root_page_links_the_metrics_and_shows_the_groups()
    {
        Write(100, "web", start: 5_000, work: 1_000);
        await using var agent = await AgentProcess.StartAsync("-procfs", _tree.Root, "-config.path", _configPath, "--scan-interval", "100ms",
            "-web.telemetry-path", "/custom-metrics");
        await agent.UntilAsync(x => x.TryValue("procactors_cycle", out var c) && c >= 1, "a cycle", path: "/custom-metrics");

        var page = await agent.GetAsync("/");
        Assert.Contains("href=\"/custom-metrics\"", page, StringComparison.Ordinal);
        Assert.Contains("<td>web</td><td>1</td>", page, StringComparison.Ordinal);
    }
}
