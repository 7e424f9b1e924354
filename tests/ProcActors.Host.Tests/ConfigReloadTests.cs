using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ProcActors.Testing;
using ProcActors.Tracking.Grouping;
using Prometheus;

namespace ProcActors.Host.Tests;

/// <summary>Config reload: the plain reloader, then the built agent reloaded by SIGHUP and POST /-/reload.</summary>
public sealed class ConfigReloadTests : IDisposable
{
    private const string WebOnly = "process_names:\n  - name: \"{{.Comm}}\"\n    comm: [web]\n";
    private const string WebAndDb = "process_names:\n  - name: \"{{.Comm}}\"\n    comm: [web, db]\n";
    private const string Broken = "process_names:\n  - name: \"{{.Comm}}\"\n    cmdline: ['(']\n";
    private readonly FixtureTree _tree = new(uptime: "1000.00 2000.00\n");
    private readonly string _config = Path.Combine(Path.GetTempPath(), $"procactors-reload-{Guid.NewGuid():N}.yml");

    public void Dispose()
    {
        _tree.Dispose();
        File.Delete(_config);
    }

    [Fact]
    public async Task The_reloader_applies_a_good_file_and_keeps_the_old_rules_on_a_bad_one()
    {
        File.WriteAllText(_config, WebOnly);
        var registry = Metrics.NewCustomRegistry();
        var applied = new List<IProcNamer>();
        var log = new ListLogger();
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(1_000));
        var reloader = new ConfigReloader(_config, applied.Add, log, registry, clock);
        Assert.Equal(1, (await Scrape(registry)).Value("procactors_config_last_reload_successful"));

        File.WriteAllText(_config, WebAndDb);
        clock.Now = DateTimeOffset.FromUnixTimeSeconds(2_000);
        Assert.Null(reloader.Reload());
        Assert.Single(applied);
        var m = await Scrape(registry);
        Assert.Equal(1, m.Value("procactors_config_last_reload_successful"));
        Assert.Equal(2_000, m.Value("procactors_config_last_reload_success_timestamp_seconds"));

        File.WriteAllText(_config, Broken);
        clock.Now = DateTimeOffset.FromUnixTimeSeconds(3_000);
        var error = reloader.Reload();
        Assert.Contains($"{_config}:3: process_names[1].cmdline[0]: invalid regular expression", error, StringComparison.Ordinal);
        Assert.Single(applied);
        Assert.Contains(log.Lines, l => l.Contains(":3: process_names[1].cmdline[0]", StringComparison.Ordinal) && l.StartsWith("Error", StringComparison.Ordinal));
        m = await Scrape(registry);
        Assert.Equal(0, m.Value("procactors_config_last_reload_successful"));
        Assert.Equal(2_000, m.Value("procactors_config_last_reload_success_timestamp_seconds"));
    }

    [Fact]
    public async Task Sighup_and_the_lifecycle_endpoint_reload_and_counters_of_unchanged_groups_continue()
    {
        File.WriteAllText(_config, WebOnly);
        _tree.AddProcess(100, "web", starttime: 5_000, utime: 1_000);
        _tree.AddProcess(200, "db", starttime: 6_000, utime: 1_000);
        await using var agent = await AgentProcess.StartAsync("-procfs", _tree.Root, "-config.path", _config, "--scan-interval", "100ms", "-web.enable-lifecycle");
        await agent.NextFullCycleAsync();
        _tree.AddProcess(100, "web", starttime: 5_000, utime: 1_050);
        var m = await agent.UntilAsync(x => x.TryValue("namedprocess_namegroup_cpu_seconds_total", out var v, "groupname", "web", "mode", "user") && v >= 0.5, "web's work");
        Assert.False(m.Has("namedprocess_namegroup_num_procs", "groupname", "db"));

        // SIGHUP with a new group: db appears, web's counter continues from where it was.
        File.WriteAllText(_config, WebAndDb);
        Assert.True(agent.Signal(1));
        _tree.AddProcess(100, "web", starttime: 5_000, utime: 1_070);
        m = await agent.UntilAsync(x => x.Has("namedprocess_namegroup_num_procs", "groupname", "db") &&
            x.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "web", "mode", "user") >= 0.7, "db named after SIGHUP");
        Assert.Equal(0.7, m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "web", "mode", "user"), 9);
        Assert.Equal(1, m.Value("namedprocess_namegroup_num_procs", "groupname", "web"));
        Assert.Equal(1, m.Value("procactors_config_last_reload_successful"));

        // A broken file: 500 with the line and field, the agent goes on with the rules it has.
        File.WriteAllText(_config, Broken);
        using var http = new HttpClient();
        using var failed = await http.PostAsync(new Uri($"http://127.0.0.1:{agent.Port}/-/reload"), null, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Contains(":3: process_names[1].cmdline[0]", await failed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        _tree.AddProcess(100, "web", starttime: 5_000, utime: 1_090);
        m = await agent.UntilAsync(x => x.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "web", "mode", "user") >= 0.9, "web still counted");
        Assert.Equal(0, m.Value("procactors_config_last_reload_successful"));
        Assert.Equal(1, m.Value("namedprocess_namegroup_num_procs", "groupname", "db"));
        Assert.Contains("Reload failed", agent.Output, StringComparison.Ordinal);

        File.WriteAllText(_config, WebOnly);
        using var ok = await http.PostAsync(new Uri($"http://127.0.0.1:{agent.Port}/-/reload"), null, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, ok.StatusCode);
        await agent.UntilAsync(x => x.Value("procactors_config_last_reload_successful") == 1 &&
            x.Value("namedprocess_namegroup_num_procs", "groupname", "db") == 0, "db no longer named");
        Assert.True(agent.IsRunning);
    }

    [Fact]
    public async Task Without_lifecycle_there_is_no_reload_endpoint()
    {
        File.WriteAllText(_config, WebOnly);
        await using var agent = await AgentProcess.StartAsync("-procfs", _tree.Root, "-config.path", _config);
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri($"http://127.0.0.1:{agent.Port}/-/reload"), null, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }

    private static async Task<MetricsText> Scrape(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream, TestContext.Current.CancellationToken);
        return MetricsText.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => NullLogger.Instance.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add($"{logLevel} {formatter(state, exception)}");
    }
}
