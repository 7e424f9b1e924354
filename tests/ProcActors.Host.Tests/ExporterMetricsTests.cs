using ProcActors.Actors;
using ProcActors.Actors.View;
using ProcActors.Procfs;
using ProcActors.Tracking;
using Prometheus;

namespace ProcActors.Host.Tests;

public sealed class ExporterMetricsTests
{
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly NodeViewStore _store = new(NodeView.Empty("n", 100));

    private ExporterMetrics Exporter(bool smaps = true, bool threads = true) => new(_registry, _store, 100, smaps, threads);

    private async Task<MetricsText> ScrapeAsync()
    {
        using var stream = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(stream, TestContext.Current.CancellationToken);
        return MetricsText.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static GroupView Group(string name, ulong cpuTicks = 0, int procs = 1, Dictionary<string, int>? wchans = null) =>
        new(new GroupStats
        {
            Name = name,
            Procs = procs,
            Counts = new ProcCounts { CpuUserTicks = cpuTicks, ReadBytes = 10 },
            Memory = new ProcMemory { ResidentBytes = 4096, ProportionalBytes = 1024 },
            States = new ThreadStates { Sleeping = procs },
            Wchans = wchans ?? [],
            Threads = new Dictionary<string, ThreadGroupStats> { ["worker"] = new(2, new ProcCounts { CpuSystemTicks = 50 }) },
        }, 0, 0, 0, []);

    private void Publish(long cycle, params GroupView[] groups) =>
        _store.Publish(NodeView.Empty("n", 100) with
        {
            Cycle = cycle,
            Groups = groups.ToDictionary(g => g.Stats.Name),
            Counters = new AgentCounters { Cycles = cycle, PartialErrors = 3 },
        });

    [Fact]
    public async Task The_view_is_written_as_process_exporters_series()
    {
        _ = Exporter();
        Publish(1, Group("web", cpuTicks: 250, procs: 2, wchans: new() { ["do_select"] = 2 }));

        var m = await ScrapeAsync();

        Assert.Equal(2, m.Value("namedprocess_namegroup_num_procs", "groupname", "web"));
        Assert.Equal(2.5, m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "web", "mode", "user"));
        Assert.Equal(10, m.Value("namedprocess_namegroup_read_bytes_total", "groupname", "web"));
        Assert.Equal(4096, m.Value("namedprocess_namegroup_memory_bytes", "groupname", "web", "memtype", "resident"));
        Assert.Equal(1024, m.Value("namedprocess_namegroup_memory_bytes", "groupname", "web", "memtype", "proportionalResident"));
        Assert.Equal(2, m.Value("namedprocess_namegroup_states", "groupname", "web", "state", "Sleeping"));
        Assert.Equal(2, m.Value("namedprocess_namegroup_threads_wchan", "groupname", "web", "wchan", "do_select"));
        Assert.Equal(2, m.Value("namedprocess_namegroup_thread_count", "groupname", "web", "threadname", "worker"));
        Assert.Equal(0.5, m.Value("namedprocess_namegroup_thread_cpu_seconds_total", "groupname", "web", "threadname", "worker", "mode", "system"));
        Assert.Equal(3, m.Value("namedprocess_scrape_partial_errors"));
        Assert.Equal(1, m.Value("procactors_cycles_total"));
        Assert.Contains("# TYPE namedprocess_namegroup_cpu_seconds_total counter", m.Text, StringComparison.Ordinal);
        Assert.Contains("# TYPE namedprocess_namegroup_memory_bytes gauge", m.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Series_of_groups_and_wchans_that_are_gone_are_removed()
    {
        _ = Exporter();
        Publish(1, Group("web", wchans: new() { ["do_select"] = 1 }), Group("db"));
        await ScrapeAsync();

        Publish(2, Group("web", wchans: new() { ["futex_wait"] = 1 }));
        var m = await ScrapeAsync();

        Assert.False(m.Has("namedprocess_namegroup_num_procs", "groupname", "db"));
        Assert.False(m.Has("namedprocess_namegroup_threads_wchan", "groupname", "web", "wchan", "do_select"));
        Assert.True(m.Has("namedprocess_namegroup_threads_wchan", "groupname", "web", "wchan", "futex_wait"));
    }

    [Fact]
    public async Task Without_smaps_and_threads_their_series_are_not_served()
    {
        _ = Exporter(smaps: false, threads: false);
        Publish(1, Group("web"));
        var m = await ScrapeAsync();
        Assert.False(m.Has("namedprocess_namegroup_memory_bytes", "groupname", "web", "memtype", "proportionalResident"));
        Assert.False(m.Has("namedprocess_namegroup_thread_count", "groupname", "web", "threadname", "worker"));
    }

    [Fact]
    public async Task A_group_name_from_arbitrary_bytes_is_served_as_valid_utf8()
    {
        _ = Exporter();
        // What a process named with prctl(PR_SET_NAME, "\xff\xfe") becomes once read: invalid bytes are replaced.
        var pool = new StringPool();
        var name = pool.Get([0xFF, 0xFE, (byte)'x', (byte)'"', (byte)'\\']);
        Publish(1, Group(name));

        using var stream = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(stream, TestContext.Current.CancellationToken);
        var bytes = stream.ToArray();
        var strict = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true);
        var text = strict.GetString(bytes);
        Assert.Contains("groupname=\"\uFFFD\uFFFDx\\\"\\\\\"", text, StringComparison.Ordinal);
    }
}
