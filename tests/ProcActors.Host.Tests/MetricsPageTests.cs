using ProcActors.Actors;
using ProcActors.Actors.View;
using ProcActors.Procfs;
using ProcActors.Tracking;
using Prometheus;

namespace ProcActors.Host.Tests;

public sealed class MetricsPageTests
{
    private readonly CollectorRegistry _cycle = Metrics.NewCustomRegistry();
    private readonly CollectorRegistry _live = Metrics.NewCustomRegistry();
    private readonly NodeViewStore _store = new(NodeView.Empty("n", 100));
    private readonly ExporterMetrics _metrics;
    private readonly MetricsPage _page;
    private readonly Counter _scrapes;

    public MetricsPageTests()
    {
        _metrics = new ExporterMetrics(_cycle, _store, 100, gatherSmaps: true, threads: true);
        _page = new MetricsPage(_cycle, _metrics, _live);
        _scrapes = Metrics.WithCustomRegistry(_live).CreateCounter("test_live_scrapes_total", "moves on every scrape");
    }

    private void Publish(long cycle, ulong cpuTicks) =>
        _store.Publish(NodeView.Empty("n", 100) with
        {
            Cycle = cycle,
            Groups = new Dictionary<string, GroupView>
            {
                ["web"] = new(new GroupStats { Name = "web", Procs = 1, Counts = new ProcCounts { CpuUserTicks = cpuTicks } }, 0, 0, 0, []),
            },
            Counters = new AgentCounters { Cycles = cycle },
        });

    private Task<MetricsText> ScrapeAsync() => ScrapeAsync(_page);

    /// <param name="counted">Moves test_live_scrapes_total first (a scrape the live part should see when rendered).</param>
    private async Task<MetricsText> ScrapeAsync(MetricsPage page, bool counted = true)
    {
        if (counted) _scrapes.Inc();
        using var stream = new MemoryStream();
        await page.WriteAsync(stream, TestContext.Current.CancellationToken);
        return MetricsText.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public async Task The_views_text_is_rendered_once_per_change_and_the_live_part_every_scrape()
    {
        Publish(1, cpuTicks: 100);
        var first = await ScrapeAsync();
        var second = await ScrapeAsync();

        Assert.Equal(1, _page.Renders);
        Assert.Equal(1, first.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "web", "mode", "user"));
        Assert.Equal(1, second.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "web", "mode", "user"));
        Assert.Equal(1, first.Value("test_live_scrapes_total"));
        Assert.Equal(2, second.Value("test_live_scrapes_total"));

        Publish(2, cpuTicks: 300);
        var third = await ScrapeAsync();
        Assert.Equal(2, _page.Renders);
        Assert.Equal(3, third.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "web", "mode", "user"));
        Assert.Equal(2, third.Value("procactors_cycles_total"));
    }

    [Fact]
    public async Task A_scan_observed_after_the_view_is_served_at_the_next_scrape_with_its_cpu()
    {
        Publish(1, cpuTicks: 100);
        await ScrapeAsync();

        _metrics.ScanCompleted(TimeSpan.FromMilliseconds(30), TimeSpan.FromMilliseconds(20));
        var m = await ScrapeAsync();

        Assert.Equal(2, _page.Renders);
        Assert.Equal(0.02, m.Value("procactors_scan_cpu_seconds_total"), 9);
        Assert.Equal(1, m.Value("procactors_scan_duration_seconds_count"));
    }

    [Fact]
    public async Task A_change_after_a_scrape_is_rendered_before_the_next_scrape_asks()
    {
        Publish(1, cpuTicks: 100);
        Publish(2, cpuTicks: 200);
        // Nobody scraped yet: nothing is rendered for nobody.
        Assert.Equal(0, _page.Renders);
        await ScrapeAsync();
        Assert.Equal(1, _page.Renders);

        Publish(3, cpuTicks: 300);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_page.Renders < 2 && DateTime.UtcNow < deadline) await Task.Delay(5, TestContext.Current.CancellationToken);
        Assert.Equal(2, _page.Renders);

        var m = await ScrapeAsync();
        Assert.Equal(2, _page.Renders);
        Assert.Equal(3, m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "web", "mode", "user"));
    }

    [Fact]
    public async Task With_the_own_cost_series_rendered_per_scrape_a_scan_shows_at_once_and_the_cached_text_stays()
    {
        var cycle = Metrics.NewCustomRegistry();
        var live = Metrics.NewCustomRegistry();
        var store = new NodeViewStore(NodeView.Empty("n", 100));
        var metrics = new ExporterMetrics(cycle, store, 100, gatherSmaps: true, threads: true, ownCost: live);
        var page = new MetricsPage(cycle, metrics, live);
        store.Publish(NodeView.Empty("n", 100) with { Cycle = 1, Counters = new AgentCounters { Cycles = 1 } });
        using var first = new MemoryStream();
        await page.WriteAsync(first, TestContext.Current.CancellationToken);

        metrics.ScanCompleted(TimeSpan.FromMilliseconds(30), TimeSpan.FromMilliseconds(20));
        using var second = new MemoryStream();
        await page.WriteAsync(second, TestContext.Current.CancellationToken);
        var m = MetricsText.Parse(System.Text.Encoding.UTF8.GetString(second.ToArray()));

        Assert.Equal(1, page.Renders);
        Assert.Equal(0.02, m.Value("procactors_scan_cpu_seconds_total"), 9);
        Assert.Equal(1, m.Value("procactors_scan_duration_seconds_count"));
        Assert.Equal(1, m.Value("procactors_cycles_total"));
    }

    [Fact]
    public async Task The_live_part_is_served_from_memory_until_it_is_older_than_its_maximum_age()
    {
        Publish(1, cpuTicks: 100);
        var kept = new MetricsPage(_cycle, _metrics, _live, liveMaxAge: TimeSpan.FromHours(1));
        Assert.Equal(1, (await ScrapeAsync(kept)).Value("test_live_scrapes_total"));
        var second = await ScrapeAsync(kept);
        Assert.Equal(1, second.Value("test_live_scrapes_total"));
        Assert.Equal(1, second.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "web", "mode", "user"));

        var refreshed = new MetricsPage(_cycle, _metrics, _live, liveMaxAge: TimeSpan.FromMilliseconds(1));
        Assert.Equal(3, (await ScrapeAsync(refreshed)).Value("test_live_scrapes_total"));
        await Task.Delay(20, TestContext.Current.CancellationToken);
        Assert.Equal(4, (await ScrapeAsync(refreshed)).Value("test_live_scrapes_total"));
    }

    [Fact]
    public async Task A_live_part_past_its_age_but_within_its_stale_age_is_served_and_renewed_off_the_scrape_path()
    {
        Publish(1, cpuTicks: 100);
        var page = new MetricsPage(_cycle, _metrics, _live, liveMaxAge: TimeSpan.FromMilliseconds(1), liveStaleAge: TimeSpan.FromHours(1));
        Assert.Equal(1, (await ScrapeAsync(page)).Value("test_live_scrapes_total"));
        await Task.Delay(20, TestContext.Current.CancellationToken);

        // Past its age: this scrape gets the text of the first (1, not 2) and starts a render that sees 2.
        Assert.Equal(1, (await ScrapeAsync(page)).Value("test_live_scrapes_total"));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        double seen;
        do
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
            seen = (await ScrapeAsync(page, counted: false)).Value("test_live_scrapes_total");
        }
        while (seen < 2 && DateTime.UtcNow < deadline);
        Assert.Equal(2, seen);

        // Without a stale age, a scrape past the age renders in front of the scraper, as before.
        var inline = new MetricsPage(_cycle, _metrics, _live, liveMaxAge: TimeSpan.FromMilliseconds(1));
        Assert.Equal(3, (await ScrapeAsync(inline)).Value("test_live_scrapes_total"));
        await Task.Delay(20, TestContext.Current.CancellationToken);
        Assert.Equal(4, (await ScrapeAsync(inline)).Value("test_live_scrapes_total"));
    }

    [Fact]
    public async Task Concurrent_scrapes_after_a_change_render_it_once()
    {
        Publish(1, cpuTicks: 100);
        var pages = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(ScrapeAsync)));

        Assert.Equal(1, _page.Renders);
        Assert.All(pages, p => Assert.Equal(1, p.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "web", "mode", "user")));
    }

    [Fact]
    public async Task Garbage_collection_pauses_are_served_and_only_grow()
    {
        var live = Metrics.NewCustomRegistry();
        RuntimeMetrics.Register(live);
        async Task<double> PausedAsync()
        {
            using var stream = new MemoryStream();
            await live.CollectAndExportAsTextAsync(stream, TestContext.Current.CancellationToken);
            return MetricsText.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray())).Value("dotnet_gc_pause_seconds_total");
        }

        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        var first = await PausedAsync();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        var second = await PausedAsync();

        Assert.True(first > 0, "a blocking collection paused the threads");
        Assert.True(second > first, $"{second} after a second collection, {first} before");
    }
}
