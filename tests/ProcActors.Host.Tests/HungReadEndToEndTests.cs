using ProcActors.Testing;

namespace ProcActors.Host.Tests;

/// <summary>
/// The built agent on a fixture tree where one process's io becomes a FIFO nobody writes (a read that hangs, as one
/// of a process in D state does): the agent keeps scanning at its interval, counts the timeout once, skips the process
/// while the read is stuck, keeps its counters, and counts what it did once a writer releases the read.
/// </summary>
public sealed class HungReadEndToEndTests : IDisposable
{
    private const string Config = """
        process_names:
          - name: "{{.Comm}}"
            comm: [web, db]
        """;

    private readonly FixtureTree _tree = new(uptime: "1000.00 2000.00\n");
    private readonly string _configPath = Path.Combine(Path.GetTempPath(), $"procactors-hung-{Guid.NewGuid():N}.yml");

    public HungReadEndToEndTests() => File.WriteAllText(_configPath, Config);

    public void Dispose()
    {
        _tree.Dispose();
        File.Delete(_configPath);
    }

    private void Write(int pid, string comm, ulong work) =>
        _tree.AddProcess(pid, comm, starttime: 5_000, utime: work, readBytes: work * 1000);

    [Fact]
    public async Task The_agent_keeps_scanning_past_a_hung_read_and_counts_the_process_again_once_it_returns()
    {
        Write(100, "web", 1_000);
        Write(200, "db", 2_000);
        await using var agent = await AgentProcess.StartAsync(
            "-procfs", _tree.Root, "-config.path", _configPath, "--scan-interval", "100ms", "--read-timeout", "1s", "--max-stuck-reads", "2");
        var m = await agent.UntilAsync(x => x.TryValue("procactors_cycle", out var c) && c >= 2, "two cycles");
        Assert.Equal(0, m.Value("procactors_read_timeouts_total"));
        Assert.Equal(0, m.Value("procactors_stuck_reads"));

        var fifo = _tree.ReplaceWithFifo(200, "io");
        Write(100, "web", 1_010);
        m = await agent.UntilAsync(x => x.Value("procactors_read_timeouts_total") >= 1, "the hung read counted");
        var cycle = m.Value("procactors_cycle");
        // Scans go on at their interval, each skipping db without reading it again (one timeout, one stuck read).
        m = await agent.UntilAsync(x => x.Value("procactors_cycle") >= cycle + 5, "five more cycles");
        Assert.Equal(1, m.Value("procactors_read_timeouts_total"));
        Assert.Equal(1, m.Value("procactors_stuck_reads"));
        Assert.Equal(0.10, m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "web", "mode", "user"), 9);
        Assert.Equal(1, m.Value("namedprocess_namegroup_num_procs", "groupname", "db"));
        Assert.Equal(0, m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "db", "mode", "user"));

        // db worked meanwhile; its io is a file again by the time the stuck read returns.
        Assert.True(_tree.ReleaseFifo(fifo, ProcText.Io(2_000_000, 0), whileHeld: () => Write(200, "db", 2_030)), "no read was blocked on the FIFO");
        await agent.UntilAsync(x => x.Value("procactors_stuck_reads") == 0, "the stuck read returned");
        m = await agent.UntilAsync(x => x.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "db", "mode", "user") > 0, "db read again");
        // What it did while skipped counts once, from where it was kept.
        Assert.Equal(0.30, m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "db", "mode", "user"), 9);
        Assert.Equal(30_000, m.Value("namedprocess_namegroup_read_bytes_total", "groupname", "db"));
        Assert.Equal(1, m.Value("procactors_read_timeouts_total"));
    }
}
