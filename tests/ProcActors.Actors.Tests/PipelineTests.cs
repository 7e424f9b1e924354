using Akka.Actor;
using Akka.Hosting;
using ProcActors.Actors.View;
using ProcActors.Protocol;
using ProcActors.Testing;

namespace ProcActors.Actors.Tests;

/// <summary>The whole actor pipeline over an in-memory process table, driven scan by scan.</summary>
public sealed class PipelineTests : Akka.Hosting.TestKit.TestKit
{
    private readonly FakeProcSource _source = new();
    private readonly RecordingTelemetry _telemetry = new();
    private readonly NodeViewStore _store = new(NodeView.Empty("test-node", 100));

    public PipelineTests(ITestOutputHelper output) : base(output: output)
    {
    }

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
        var settings = new AgentSettings
        {
            NodeName = "test-node",
            Namer = new CommNamer("web", "db", "batch"),
            ScanInterval = null,
            SourceFactory = () => _source,
            ChannelCapacity = 1,
            BatchSize = 2,
            TicksPerSecond = 100,
        };
        builder.ConfigureProcActors(settings, _store, _telemetry);
    }

    private async Task<NodeView> ScanAsync()
    {
        var next = _store.Current.Cycle + 1;
        (await ActorRegistry.GetAsync<ScannerActor>(TestContext.Current.CancellationToken)).Tell(ScanNow.Instance);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        return await _store.WaitForCycleAsync(next, timeout.Token);
    }

    private async Task<T> AskAsync<T>(object query) =>
        await (await ActorRegistry.GetAsync<AggregatorActor>(TestContext.Current.CancellationToken)).Ask<T>(query, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

    [Fact]
    public async Task Counters_flow_from_the_scan_through_group_actors_to_the_aggregator()
    {
        // More processes than a batch and the one-batch channel hold: the scanner must wait for the consumers.
        for (var pid = 10; pid < 30; pid++) _source.Add(pid, pid % 2 == 0 ? "web" : "db");
        await ScanAsync();
        for (var pid = 10; pid < 30; pid++) _source[pid].Advance(100);
        var view = await ScanAsync();

        Assert.Equal(2, view.Groups.Count);
        Assert.Equal(10, view.Groups["web"].Stats.Procs);
        Assert.Equal(1000UL, view.Groups["web"].Stats.Counts.CpuUserTicks);

        var groups = await AskAsync<GroupsResponse>(GetGroups.Instance);
        Assert.Equal(["db", "web"], groups.Groups.Select(g => g.Name));
        Assert.Equal(10.0, groups.Groups.Single(g => g.Name == "db").CpuUserSeconds);
        Assert.Equal("test-node", groups.Node);

        var web = await AskAsync<GroupResponse>(new GetGroup("web"));
        Assert.Equal(10, web.Members.Count);
        Assert.All(web.Members, m => Assert.Equal("web", m.Name));

        var top = await AskAsync<TopResponse>(new GetTop(3, TopBy.Cpu));
        Assert.Equal(3, top.Processes.Count);

        var status = await AskAsync<AgentStatusResponse>(GetAgentStatus.Instance);
        Assert.Equal(2, status.Cycles);
        Assert.Equal(20, status.ProcessesTracked);
        Assert.Equal(2, _telemetry.Scans);
        Assert.Equal(2, _telemetry.Updates);
    }

    [Fact]
    public async Task A_group_whose_last_process_exits_sees_it_in_a_cycle_without_samples()
    {
        _source.Add(10, "web");
        _source.Add(20, "db");
        await ScanAsync();
        _source[20].Advance(5);
        await ScanAsync();

        _source.Remove(20);
        var view = await ScanAsync();

        Assert.Equal(0, view.Groups["db"].Stats.Procs);
        Assert.Equal(5UL, view.Groups["db"].Stats.Counts.CpuUserTicks);
        Assert.Equal(1, view.Groups["web"].Stats.Procs);
    }

    [Fact]
    public async Task A_group_appears_with_its_first_process_and_a_missing_group_name_answers_empty()
    {
        _source.Add(10, "web");
        await ScanAsync();
        Assert.Null((await AskAsync<GroupResponse>(new GetGroup("batch"))).Group);

        _source.Add(30, "batch", startTicks: _source.UptimeTicks + 1).Advance(7);
        _source.UptimeTicks += 100;
        var view = await ScanAsync();

        Assert.Equal(1, view.Groups["batch"].Stats.Procs);
        // It started after the previous scan: all of its work counts.
        Assert.Equal(7UL, view.Groups["batch"].Stats.Counts.CpuUserTicks);
        Assert.NotNull((await AskAsync<GroupResponse>(new GetGroup("batch"))).Group);
    }

    [Fact]
    public async Task A_tick_during_a_running_scan_is_counted_as_skipped_and_a_requested_scan_is_not_lost()
    {
        _source.Add(10, "web");
        await ScanAsync();

        using var gate = new SemaphoreSlim(0);
        _source.Gate = gate;
        var scanner = await ActorRegistry.GetAsync<ScannerActor>(TestContext.Current.CancellationToken);
        scanner.Tell(ScanNow.Instance);
        // The scan is held at the gate, so these ticks find it running. Its completion can only be queued after them.
        scanner.Tell(ScanTick.Instance);
        scanner.Tell(ScanTick.Instance);
        gate.Release();
        await _store.WaitForCycleAsync(2, TestContext.Current.CancellationToken);
        _source.Gate = null;

        var view = await ScanAsync();
        Assert.Equal(2, view.Counters.SkippedIntervals);
    }

    [Fact]
    public async Task A_scan_that_cannot_list_processes_is_a_scrape_error_and_keeps_the_groups()
    {
        _source.Add(10, "web");
        await ScanAsync();
        _source.ListingFails = true;
        var view = await ScanAsync();

        Assert.Equal(1, view.Counters.ScrapeErrors);
        Assert.Equal(1, view.Groups["web"].Stats.Procs);

        _source.ListingFails = false;
        _source[10].Advance(3);
        view = await ScanAsync();
        Assert.Equal(3UL, view.Groups["web"].Stats.Counts.CpuUserTicks);
    }

    private sealed class RecordingTelemetry : IAgentTelemetry
    {
        private int _scans;
        private int _updates;

        public int Scans => Volatile.Read(ref _scans);

        public int Updates => Volatile.Read(ref _updates);

        public void ScanCompleted(TimeSpan duration, TimeSpan cpu) => Interlocked.Increment(ref _scans);

        public void ViewUpdated(TimeSpan latency) => Interlocked.Increment(ref _updates);
    }
}
