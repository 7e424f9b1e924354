using ProcActors.Testing;

namespace ProcActors.Host.Tests;

public sealed class HeapTrimTests
{
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
        Assert.Contains("Heap trimmed: resident", agent.Output);
    }
}
