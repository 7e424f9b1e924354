using System.Diagnostics;
using System.Globalization;

namespace ProcActors.Host.Tests;

/// <summary>
/// Short-lived processes on the real kernel: a spawner (a shell of ours) runs burners one after another, each a
/// few milliseconds of CPU, all born and gone between two scans; the spawner's own account of its reaped
/// children's CPU (RUSAGE_CHILDREN, printed by the shell's <c>times</c>) is what the agent's group must show.
/// </summary>
public sealed class ExitAccountingEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("procactors-exits-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A copy of the shell under a name nothing else on the machine has: the comm its processes group by.</summary>
    private string Burner(out string name)
    {
        name = "pa" + Guid.NewGuid().ToString("N")[..10];
        var binary = Path.Combine(_dir, name);
        File.Copy("/bin/sh", binary);
        File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        return binary;
    }

    /// <summary>Runs <paramref name="count"/> burners back to back and returns the CPU seconds of the reaped children.</summary>
    internal static async Task<double> SpawnAsync(string burner, int count, int loops = 1500, string? shell = null, string beforeTimes = "")
    {
        var script = $"i=0; while [ $i -lt {count} ]; do {burner} -c 'j=0; while [ $j -lt {loops} ]; do j=$((j+1)); done'; i=$((i+1)); done; {beforeTimes} times";
        var info = new ProcessStartInfo(shell ?? "/bin/sh") { RedirectStandardOutput = true, ArgumentList = { "-c", script } };
        using var spawner = Process.Start(info)!;
        var output = await spawner.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await spawner.WaitForExitAsync(TestContext.Current.CancellationToken);
        // times: the shell's user and system time, then its children's.
        var children = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Split(' ');
        return children.Sum(ShellSeconds);
    }

    private static double ShellSeconds(string value)
    {
        var minutes = value.IndexOf('m', StringComparison.Ordinal);
        return int.Parse(value[..minutes], CultureInfo.InvariantCulture) * 60 + double.Parse(value[(minutes + 1)..^1], CultureInfo.InvariantCulture);
    }

    private static double Cpu(MetricsText m, string group) =>
        m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", group, "mode", "user") +
        m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", group, "mode", "system");

    [Fact]
    public async Task Processes_born_and_gone_between_scans_count_in_full_with_taskstats()
    {
        var burner = Burner(out var name);
        await using var agent = await AgentProcess.StartAsync("-procnames", name, "--scan-interval", "1s", "--exit-accounting", "taskstats");
        var start = await agent.UntilAsync(m => m.Has("procactors_exit_accounting_mode", "mode", "taskstats"), "the exit accounting mode");
        if (start.Value("procactors_exit_accounting_mode", "mode", "taskstats") != 1)
        {
            Assert.Skip($"taskstats exit records are not available here (CAP_NET_ADMIN in the initial namespaces is needed):\n{agent.Output}");
            return;
        }

        const int count = 400;
        var rusage = await SpawnAsync(burner, count);
        var settled = await agent.UntilAsync(m => m.TryValue("namedprocess_namegroup_cpu_seconds_total", out _, "groupname", name, "mode", "user"), $"group {name}");
        settled = await agent.NextFullCycleAsync();

        var counted = Cpu(settled, name);
        // Everything the burners did happened between scans of a 1 s interval: without exit records this is 0.
        Assert.Equal(0, settled.Value("namedprocess_namegroup_num_procs", "groupname", name));
        Assert.True(settled.Value("procactors_exit_records_total") >= count);
        Assert.Equal(0, settled.Value("procactors_exit_records_lost_total"));
        // Each record's CPU is the task's CPU up to the record, never more for these burners (they never block: their
        // life less their wait for a CPU is exact to the microsecond). The kernel writes the record (do_exit →
        // taskstats_exit) before the task tears down its memory and files, which RUSAGE_CHILDREN includes and no
        // record does: on this VM (paravirtualised page tables) that is 8-11 % of a dash burner's ~6 ms, measured
        // 89-91 %. So the upper bound is RUSAGE_CHILDREN plus the 10 ms truncation of `times` (up to 0.8 % here) and a
        // tick for a burner that blocked once; counting any record twice would put it near 180 %, and a lost record
        // shows in procactors_exit_records_lost_total. The lower bound leaves room for a slower teardown when the
        // whole suite runs beside it: 0.849 was seen so (2026-12-07); a record attributed to no group or to another
        // would take far more than that.
        var ratio = counted / rusage;
        Assert.InRange(ratio, 0.80, 1.02);
        TestContext.Current.TestOutputHelper?.WriteLine($"taskstats: {counted:F3} s counted, {rusage:F3} s by RUSAGE_CHILDREN, ratio {ratio:F4}");
    }

    /// <summary>
    /// 3,000 exits inside one 10 s interval: the records pile up past the backlog that starts a pass between scans,
    /// so most are attributed as they come, not by the next scan. Every burner is counted once.
    /// </summary>
    [Fact]
    public async Task A_burst_of_exits_between_scans_is_attributed_as_it_comes_and_each_exit_counted_once()
    {
        var burner = Burner(out var name);
        var remote = Testing.ServedProcess.FreePort();
        await using var agent = await AgentProcess.StartAsync("-procnames", name, "--scan-interval", "10s", "--exit-accounting", "taskstats",
            "--remote", $"127.0.0.1:{remote}");
        var start = await agent.UntilAsync(m => m.Has("procactors_exit_accounting_mode", "mode", "taskstats"), "the exit accounting mode");
        if (start.Value("procactors_exit_accounting_mode", "mode", "taskstats") != 1)
        {
            Assert.Skip($"taskstats exit records are not available here (CAP_NET_ADMIN in the initial namespaces is needed):\n{agent.Output}");
            return;
        }

        const int count = 3000;
        await SpawnAsync(burner, count, loops: 10);
        await using var client = await Client.ProcActorsClient.ConnectAsync($"127.0.0.1:{remote}", TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        var watch = Stopwatch.StartNew();
        Protocol.GroupSummary? group = null;
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            group = (await client.GetGroupsAsync(cancellationToken: TestContext.Current.CancellationToken)).Groups.FirstOrDefault(g => g.Name == name);
            if (group?.ExitedUnseen >= count - 5) break;
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }
        var metrics = await agent.ScrapeAsync();
        // A scan may see a burner alive (then it is tracked, not unseen): a handful at most. Never more than were run.
        Assert.NotNull(group);
        Assert.InRange(group.ExitedUnseen, count - 5, count);
        Assert.Equal(0, metrics.Value("procactors_exit_records_lost_total"));
        Assert.True(metrics.Value("procactors_exit_attribution_ahead_cpu_seconds_total") > 0, "no pass between scans ran");
    }

    [Fact]
    public async Task The_teardown_after_each_record_is_restored_from_a_tracked_spawner_s_reaped_children_cpu()
    {
        var burner = Burner(out var name);
        var spawner = Path.Combine(_dir, name + "s");
        File.Copy("/bin/sh", spawner);
        File.SetUnixFileMode(spawner, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        await using var agent = await AgentProcess.StartAsync("-procnames", $"{name},{name}s", "--scan-interval", "500ms", "--exit-accounting", "taskstats");
        var start = await agent.UntilAsync(m => m.Has("procactors_exit_accounting_mode", "mode", "taskstats"), "the exit accounting mode");
        if (start.Value("procactors_exit_accounting_mode", "mode", "taskstats") != 1)
        {
            Assert.Skip($"taskstats exit records are not available here (CAP_NET_ADMIN in the initial namespaces is needed):\n{agent.Output}");
            return;
        }

        // The spawner lives a second past its last burner, so that a scan reads its reaped-children CPU after the last
        // reaping (the growth of a reaper's last interval before it exits is not read by any scan).
        var rusage = await SpawnAsync(burner, 400, shell: spawner, beforeTimes: "sleep 1;");
        await agent.UntilAsync(m => m.TryValue("namedprocess_namegroup_cpu_seconds_total", out _, "groupname", name, "mode", "user"), $"group {name}");
        var settled = await agent.NextFullCycleAsync();

        // What no record holds (~6-11 % of a dash burner here) is in the spawner's cutime: the group gets all of it,
        // within `times`' 10 ms truncation and the one sleep's CPU, which RUSAGE_CHILDREN includes.
        var ratio = Cpu(settled, name) / rusage;
        Assert.True(settled.Value("procactors_exit_teardown_cpu_seconds_total") > 0, "no teardown was restored");
        Assert.True(ratio is >= 0.97 and <= 1.02, $"ratio {ratio:F4}: {Cpu(settled, name):F3} s counted, {rusage:F3} s by RUSAGE_CHILDREN, spawner's group {Cpu(settled, name + "s"):F3} s");
        TestContext.Current.TestOutputHelper?.WriteLine($"with the teardown: {Cpu(settled, name):F3} s counted, {rusage:F3} s by RUSAGE_CHILDREN, ratio {ratio:F4}, teardown {settled.Value("procactors_exit_teardown_cpu_seconds_total"):F3} s");
    }

    /// <summary>
    /// The deliberate difference from process-exporter 0.7.10 (README, "Deliberate differences": processes that live
    /// and die between two scans are counted), side by side on the real /proc with the same -procnames: the reference
    /// scans only when scraped, so burners born and gone between two scrapes are invisible to it, and their group has
    /// no CPU there; ours has what their exit records show. The fixture comparison (ProcessExporterComparisonTests)
    /// cannot show this: exit records describe this kernel's processes, not a fixture tree, so exit accounting is off there.
    /// </summary>
    [Fact]
    public async Task Process_exporter_counts_none_of_what_ours_counts_by_exit_records()
    {
        var burner = Burner(out var name);
        await using var reference = await ProcessExporterBaseline.StartAsync("-procnames", name);
        await using var agent = await AgentProcess.StartAsync("-procnames", name, "--scan-interval", "1s", "--exit-accounting", "taskstats");
        var start = await agent.UntilAsync(m => m.Has("procactors_exit_accounting_mode", "mode", "taskstats"), "the exit accounting mode");
        if (start.Value("procactors_exit_accounting_mode", "mode", "taskstats") != 1)
        {
            Assert.Skip($"taskstats exit records are not available here (CAP_NET_ADMIN in the initial namespaces is needed):\n{agent.Output}");
            return;
        }
        await reference.ScrapeAsync();

        var rusage = await SpawnAsync(burner, 150);
        await agent.UntilAsync(m => m.TryValue("namedprocess_namegroup_cpu_seconds_total", out _, "groupname", name, "mode", "user"), $"group {name}");
        var ours = Cpu(await agent.NextFullCycleAsync(), name);
        var theirs = await reference.ScrapeAsync();

        var theirCpu = theirs.TryValue("namedprocess_namegroup_cpu_seconds_total", out var user, "groupname", name, "mode", "user") ? user : 0;
        theirCpu += theirs.TryValue("namedprocess_namegroup_cpu_seconds_total", out var system, "groupname", name, "mode", "system") ? system : 0;
        TestContext.Current.TestOutputHelper?.WriteLine($"{rusage:F3} s by RUSAGE_CHILDREN: ours {ours:F3} s, process-exporter {theirCpu:F3} s");
        Assert.Equal(0, theirCpu);
        // Records alone (no tracked reaper here, so no teardown is restored) hold ~87-94 % of the children's CPU on a
        // quiet machine; the exit's teardown takes a larger share under load (0.849 once in CI, 0.703 once: 0.260 of
        // 0.370 s, with the other test classes running beside it). The exact total is the teardown test's business;
        // this one is about what the reference misses: most of it, counted here.
        Assert.Equal(0, (await agent.ScrapeAsync()).Value("procactors_exit_records_lost_total"));
        Assert.InRange(ours / rusage, 0.6, 1.02);
    }

    [Fact]
    public async Task Without_taskstats_a_tracked_parent_counts_the_children_it_reaped()
    {
        var burner = Burner(out var burnerName);
        var spawnerShell = Burner(out var spawner);
        await using var agent = await AgentProcess.StartAsync("-procnames", spawner, "--scan-interval", "500ms", "--exit-accounting", "children");
        await agent.UntilAsync(m => m.Value("procactors_exit_accounting_mode", "mode", "children") == 1, "children mode");

        // The spawner waits for a line on stdin, so that the agent knows it before it reaps anything.
        const int count = 300;
        var script = $"read go; i=0; while [ $i -lt {count} ]; do {burner} -c 'j=0; while [ $j -lt 1500 ]; do j=$((j+1)); done'; i=$((i+1)); done; times; exec sleep 60";
        var info = new ProcessStartInfo(spawnerShell) { RedirectStandardInput = true, RedirectStandardOutput = true, ArgumentList = { "-c", script } };
        using var process = Process.Start(info)!;
        try
        {
            await agent.UntilAsync(m => m.TryValue("namedprocess_namegroup_num_procs", out var n, "groupname", spawner) && n == 1, $"the spawner {spawner}");
            await process.StandardInput.WriteLineAsync("go");
            await process.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
            var own = (await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken))!.Split(' ').Sum(ShellSeconds);
            var children = (await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken))!.Split(' ').Sum(ShellSeconds);
            var settled = await agent.NextFullCycleAsync();

            var counted = Cpu(settled, spawner);
            Assert.False(settled.Has("namedprocess_namegroup_num_procs", "groupname", burnerName));
            var ratio = counted / (own + children);
            TestContext.Current.TestOutputHelper?.WriteLine($"children: {counted:F3} s counted, {own + children:F3} s by the spawner's times (children {children:F3} s), ratio {ratio:F4}");
            Assert.InRange(ratio, 0.95, 1.05);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }
}
