using Microsoft.Data.Sqlite;
using ProcActors.Testing;

namespace ProcActors.Host.Tests;

/// <summary>
/// Counters survive restarts: the built agent on a fixture tree is stopped gracefully and with kill -9, the tree
/// moves on while it is down, and after the restart every group counter equals the total of all advances, exactly.
/// </summary>
public sealed class PersistenceEndToEndTests : PersistedAgentTests
{
    private async Task Survives_graceful_stops_and_kill_9(string persistence)
    {
        Web(_raw);
        _tree.AddProcess(200, "db", starttime: 6_000, utime: 400);

        var agent = await StartAsync(persistence, snapshotEvery: 1_000);
        _agents.Add(agent);
        await CountersAsync(agent, Advance(100), db: 0);
        _tree.AddProcess(200, "db", starttime: 6_000, utime: 450);
        await CountersAsync(agent, _web, db: 0.5);

        // Graceful: the shutdown saves the snapshot (none was due: one every 1000 cycles).
        Assert.Equal(0, await agent.StopGracefullyAsync());
        await agent.DisposeAsync();

        // While down: web keeps working, db exits, a new web process is born and does 70 ticks of work.
        Advance(50);
        _tree.DeleteProcess(200);
        _tree.AddProcess(300, "web", starttime: 100_500, utime: 70, readBytes: 700);
        _web += 70;
        _tree.SetUptime(1_010);

        agent = await StartAsync(persistence, snapshotEvery: 1);
        _agents.Add(agent);
        var m = await CountersAsync(agent, _web, db: 0.5);
        Assert.Equal(0, m.Value("namedprocess_namegroup_num_procs", "groupname", "db"));
        Assert.Equal(2, m.Value("namedprocess_namegroup_num_procs", "groupname", "web"));

        // kill -9 after a snapshot that holds the latest advance.
        m = await CountersAsync(agent, Advance(30), db: 0.5);
        var saved = m.Value("procactors_snapshots_saved_total");
        await agent.UntilAsync(x => x.Value("procactors_snapshots_saved_total") >= saved + 2, "two more snapshots");
        await agent.KillHardAsync();
        await agent.DisposeAsync();

        Advance(20);
        await using var last = await StartAsync(persistence, snapshotEvery: 1);
        await CountersAsync(last, _web, db: 0.5);
    }

    [Fact]
    public async Task Sqlite_counters_survive_graceful_stops_and_kill_9()
    {
        await Survives_graceful_stops_and_kill_9("sqlite:" + SqlitePath);
        // The file the agent itself wrote is in write-ahead-log mode: a committed snapshot survives kill -9.
        Assert.Equal("wal", SqliteFileHeader.JournalMode(SqlitePath));
    }

    [Fact]
    public async Task Postgres_counters_survive_graceful_stops_and_kill_9()
    {
        await using var server = await PostgresServer.SharedOrOwnAsync();
        await Survives_graceful_stops_and_kill_9("postgres:" + server.ConnectionString);
    }

    [Fact]
    public async Task A_postgres_outage_under_a_running_agent_is_counted_and_saving_resumes()
    {
        await using var server = await PostgresServer.OwnAsync();
        Web(_raw);
        await using var agent = await StartAsync("postgres:" + server.ConnectionString, snapshotEvery: 1);
        var m = await agent.UntilAsync(x => x.Value("procactors_snapshots_saved_total") >= 1, "a first snapshot");

        await server.StopAsync();
        m = await agent.UntilAsync(x => x.Value("procactors_snapshot_failures_total") >= 1, "a failed save", TimeSpan.FromSeconds(60));
        // Scanning and serving go on from memory.
        await CountersAsync(agent, Advance(40));

        await server.StartAsync();
        var saved = m.Value("procactors_snapshots_saved_total");
        await agent.UntilAsync(x => x.Value("procactors_snapshots_saved_total") > saved, "saving to resume", TimeSpan.FromSeconds(90));
        await CountersAsync(agent, Advance(5));
    }

    [Fact]
    public async Task Unreadable_snapshots_are_set_aside_never_deleted_and_the_agent_starts_fresh_instead_of_crash_looping()
    {
        Web(_raw);
        var persistence = "sqlite:" + SqlitePath;
        var agent = await StartAsync(persistence, snapshotEvery: 1);
        _agents.Add(agent);
        await CountersAsync(agent, Advance(100));
        Assert.Equal(0, await agent.StopGracefullyAsync());
        await agent.DisposeAsync();

        long broken;
        using (var connection = new SqliteConnection($"Data Source={SqlitePath}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE snapshot SET snapshot = x'7b2262726f6b656e'";
            broken = command.ExecuteNonQuery();
            Assert.True(broken > 0);
        }
        SqliteConnection.ClearAllPools();

        await using var restarted = await StartAsync(persistence, snapshotEvery: 1);
        // Nothing readable: fresh counters, only what follows the restart counts.
        _web = 0;
        await CountersAsync(restarted, Advance(25));
        Assert.Contains("cannot be read", restarted.Output, StringComparison.Ordinal);
        Assert.Contains("set aside", restarted.Output, StringComparison.Ordinal);
        Assert.Equal(broken, Directory.GetFiles(Path.Combine(Path.GetDirectoryName(SqlitePath)!, "quarantine"), "*.snapshot").Length);

        // The agent's own snapshots come and go (the last two are kept); the broken ones stay where they were.
        await restarted.UntilAsync(x => x.Value("procactors_snapshots_saved_total") >= 4, "four new snapshots");
        using var check = new SqliteConnection($"Data Source={SqlitePath};Mode=ReadOnly");
        check.Open();
        using var count = check.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM snapshot WHERE snapshot = x'7b2262726f6b656e'";
        Assert.Equal(broken, (long)count.ExecuteScalar()!);
        count.CommandText = "SELECT COUNT(*) FROM snapshot";
        Assert.InRange((long)count.ExecuteScalar()!, broken + 2, broken + 3);
    }

    [Fact]
    public async Task When_the_newest_snapshot_is_unreadable_the_one_before_it_is_loaded()
    {
        Web(_raw);
        var persistence = "sqlite:" + SqlitePath;
        var agent = await StartAsync(persistence, snapshotEvery: 1);
        _agents.Add(agent);
        var m = await CountersAsync(agent, Advance(100));
        // Two snapshots of the same counters: whichever is loaded, they continue from 100.
        var saved = m.Value("procactors_snapshots_saved_total");
        await agent.UntilAsync(x => x.Value("procactors_snapshots_saved_total") >= saved + 2, "two snapshots of the same counters");
        await agent.KillHardAsync();
        await agent.DisposeAsync();

        using (var connection = new SqliteConnection($"Data Source={SqlitePath}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE snapshot SET snapshot = x'00ff' WHERE sequence_number = (SELECT MAX(sequence_number) FROM snapshot)";
            Assert.Equal(1, command.ExecuteNonQuery());
        }
        SqliteConnection.ClearAllPools();

        Advance(10);
        await using var restarted = await StartAsync(persistence, snapshotEvery: 1);
        await CountersAsync(restarted, Advance(5));
        Assert.Contains("set aside", restarted.Output, StringComparison.Ordinal);
    }
}
