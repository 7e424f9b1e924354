using Microsoft.Extensions.Logging.Abstractions;
using ProcActors.Actors;
using ProcActors.Actors.View;
using ProcActors.Testing;

namespace ProcActors.Host.Tests;

public sealed class HeapUpkeepTests
{
    private const long MiB = 1L << 20;

    /// <summary>The agent's defaults, spelled out: 4 MiB, floor 256 KiB.</summary>
    private static CollectionPacer Pacer() => new(thresholdBytes: 4 * MiB, minThresholdBytes: 256 * 1024);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public void The_first_trim_comes_once_the_start_up_cycles_are_published_and_only_once_without_a_burst()
    {
        var policy = new HeapTrimPolicy(afterCycle: 3, minPeak: 1_000, minInterval: TimeSpan.FromMinutes(10));

        Assert.False(policy.ShouldTrim(1, 10_000, TimeSpan.FromSeconds(5)));
        Assert.False(policy.ShouldTrim(2, 10_000, TimeSpan.FromSeconds(10)));
        Assert.True(policy.ShouldTrim(3, 10_000, TimeSpan.FromSeconds(15)));

        // A steady (or growing) count never trims again, however long it runs.
        for (var cycle = 4; cycle < 2_000; cycle++) Assert.False(policy.ShouldTrim(cycle, 10_000 + cycle, cycle * 5 * TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void After_a_burst_has_gone_the_heap_is_trimmed_again_once_the_interval_has_passed()
    {
        var policy = new HeapTrimPolicy(afterCycle: 3, minPeak: 1_000, minInterval: TimeSpan.FromMinutes(10));
        Assert.True(policy.ShouldTrim(3, 500, Minute));
        Assert.False(policy.ShouldTrim(4, 20_000, 2 * Minute));

        // Down to half the peak, but too soon after the last trim: wait; more than half: no burst has gone.
        Assert.False(policy.ShouldTrim(5, 10_000, 5 * Minute));
        Assert.False(policy.ShouldTrim(6, 10_001, 12 * Minute));
        Assert.True(policy.ShouldTrim(7, 9_000, 12 * Minute));

        // The peak starts over at the trim: the same 9,000 is no burst gone.
        Assert.False(policy.ShouldTrim(8, 9_000, 40 * Minute));
        Assert.False(policy.ShouldTrim(9, 5_000, 40 * Minute));
        Assert.True(policy.ShouldTrim(10, 4_000, 40 * Minute));
    }

    [Fact]
    public void A_small_host_is_not_paused_for_the_little_memory_its_processes_held()
    {
        var policy = new HeapTrimPolicy(afterCycle: 3, minPeak: 1_000, minInterval: TimeSpan.FromMinutes(10));
        Assert.True(policy.ShouldTrim(3, 100, Minute));

        Assert.False(policy.ShouldTrim(4, 900, 2 * Minute));
        Assert.False(policy.ShouldTrim(5, 50, 60 * Minute));
    }

    [Fact]
    public void A_gen0_collection_is_due_between_cycles_once_the_threshold_is_allocated_since_the_last_collection()
    {
        var pacer = Pacer();
        Assert.False(pacer.ShouldCollect(collections: 7, fullCollections: 1, allocatedBytes: 100 * MiB));

        // 300 KiB a cycle: due on the cycle that reaches 4 MiB since the first sight, not before.
        var allocated = 100 * MiB;
        var cycles = 0;
        do
        {
            allocated += 300 * 1024;
            cycles++;
        }
        while (!pacer.ShouldCollect(7, 1, allocated));
        Assert.Equal(14, cycles);

        // Ours: counted from it, and no collection of the runtime's.
        pacer.Collected(collections: 8, fullCollections: 1, allocatedBytes: allocated);
        Assert.False(pacer.ShouldCollect(8, 1, allocated + 3 * MiB));
        Assert.True(pacer.ShouldCollect(8, 1, allocated + 4 * MiB));
        Assert.Equal(0, pacer.Unpaced);
        Assert.Equal(4 * MiB, pacer.ThresholdBytes);
    }

    [Fact]
    public void A_gen0_collection_of_the_runtime_before_the_threshold_lowers_it_to_half_of_what_was_allocated_never_below_the_floor()
    {
        var pacer = Pacer();
        Assert.False(pacer.ShouldCollect(1, 0, 0));
        pacer.Collected(2, 0, 0);

        // The runtime collected gen 0 after 3 MiB: its budget is below ours.
        Assert.False(pacer.ShouldCollect(3, 0, 3 * MiB));
        Assert.Equal(1, pacer.Unpaced);
        Assert.Equal(3 * MiB / 2, pacer.ThresholdBytes);
        Assert.False(pacer.ShouldCollect(3, 0, 4 * MiB));
        Assert.True(pacer.ShouldCollect(3, 0, 4 * MiB + 512 * 1024));
        pacer.Collected(4, 0, 4 * MiB + 512 * 1024);

        // Two of its own since the last look, after 200 KiB: counted both; the floor holds.
        Assert.False(pacer.ShouldCollect(6, 0, 4 * MiB + 712 * 1024));
        Assert.Equal(3, pacer.Unpaced);
        Assert.Equal(256 * 1024, pacer.ThresholdBytes);
    }

    [Fact]
    public void A_full_collection_what_came_before_the_first_look_or_a_burst_past_the_threshold_teaches_nothing()
    {
        var pacer = Pacer();
        Assert.False(pacer.ShouldCollect(1, 0, 50 * MiB));

        // The first collection seen after the first look: the budget had been running since before it.
        Assert.False(pacer.ShouldCollect(2, 0, 51 * MiB));
        Assert.Equal(4 * MiB, pacer.ThresholdBytes);

        // A full collection after 1 MiB (a large object, a forced collection elsewhere in the process): no gen-0 budget.
        Assert.False(pacer.ShouldCollect(3, 1, 52 * MiB));
        Assert.Equal(4 * MiB, pacer.ThresholdBytes);

        // One cycle allocated 20 MiB (the start-up's reads, a burst): the runtime collected in it, past our threshold.
        Assert.False(pacer.ShouldCollect(4, 1, 72 * MiB));
        Assert.Equal(3, pacer.Unpaced);
        Assert.Equal(4 * MiB, pacer.ThresholdBytes);

        // The agent's own trim is no sign of the budget either, and does not count as a paced collection.
        pacer.Collected(6, 2, 73 * MiB, paced: false);
        Assert.Equal(3, pacer.Unpaced);
        Assert.Equal(4 * MiB, pacer.ThresholdBytes);
    }

    [Fact]
    public void The_threshold_climbs_back_after_enough_collections_of_ours_in_a_row_up_to_where_it_started()
    {
        var pacer = Pacer();
        Assert.False(pacer.ShouldCollect(1, 0, 0));
        pacer.Collected(2, 0, 0);
        Assert.False(pacer.ShouldCollect(3, 0, MiB));
        Assert.Equal(MiB / 2, pacer.ThresholdBytes);

        var collections = 3;
        var allocated = MiB;
        long[] expected = [MiB, 2 * MiB, 4 * MiB, 4 * MiB];
        foreach (var threshold in expected)
        {
            for (var i = 0; i < CollectionPacer.CleanPacesToRaise; i++)
            {
                allocated += pacer.ThresholdBytes;
                Assert.True(pacer.ShouldCollect(collections, 0, allocated));
                pacer.Collected(++collections, 0, allocated);
            }
            Assert.Equal(threshold, pacer.ThresholdBytes);
        }
    }

    [Fact]
    public async Task The_upkeep_collects_gen0_on_a_pool_thread_once_a_published_cycle_finds_the_threshold_allocated()
    {
        var store = new NodeViewStore(NodeView.Empty("test", 100));
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var upkeep = new HeapUpkeep(store, new HeapTrimPolicy(afterCycle: long.MaxValue), new CollectionPacer(thresholdBytes: MiB, minThresholdBytes: MiB),
            registry, NullLogger<HeapUpkeep>.Instance);
        await upkeep.StartAsync(TestContext.Current.CancellationToken);
        var paced = Prometheus.Metrics.WithCustomRegistry(registry).CreateCounter("procactors_gc_paced_total", "");
        var collectionsBefore = GC.CollectionCount(0);

        // Other tests allocate too (a collection of the runtime's between two cycles defers ours): cycles until one is ours.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (paced.Value < 1 && DateTime.UtcNow < deadline)
        {
            store.Publish(store.Current);
            for (var i = 0; i < 40; i++) GC.KeepAlive(new byte[64 * 1024]);
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
        await upkeep.StopAsync(TestContext.Current.CancellationToken);

        Assert.True(paced.Value >= 1, "no gen-0 collection paced in 20 s of cycles allocating 2.5 MiB each");
        Assert.True(GC.CollectionCount(0) > collectionsBefore);
    }

    [Fact]
    public async Task The_agent_trims_its_heap_once_after_start_up_and_says_so()
    {
        using var tree = new FixtureTree(uptime: "1000.00 2000.00\n");
        for (var pid = 100; pid < 400; pid++) tree.AddProcess(pid, "worker", cmdline: ["/usr/bin/worker", $"--id={pid % 7}"]);
        await using var agent = await AgentProcess.StartAsync("-procfs", tree.Root, "--scan-interval", "100ms");

        var early = await agent.UntilAsync(m => m.TryValue("procactors_cycle", out var c) && c >= 1, "the first cycle");
        var trimmed = await agent.UntilAsync(m => m.TryValue("procactors_heap_trims_total", out var n) && n >= 1, "a heap trim");
        var later = await agent.UntilAsync(m => m.Value("procactors_cycle") >= trimmed.Value("procactors_cycle") + 10, "ten more cycles");

        if (early.Value("procactors_cycle") < 3) Assert.Equal(0, early.Value("procactors_heap_trims_total"));
        Assert.True(trimmed.Value("procactors_cycle") >= 3, $"trimmed at cycle {trimmed.Value("procactors_cycle")}");
        Assert.Equal(1, later.Value("procactors_heap_trims_total"));
        Assert.True(later.TryValue("procactors_gc_paced_total", out _) && later.TryValue("procactors_gc_unpaced_total", out _),
            "the pacing counters are on /metrics");
        Assert.Contains("Heap trimmed: resident", agent.Output);
    }
}
