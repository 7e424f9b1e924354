using Microsoft.Data.Sqlite;
using Npgsql;

namespace ProcActors.Host.Tests;

/// <summary>
/// The saved counters are never lost or hidden by a store that is down, slow or locked when the agent starts: it
/// monitors and serves from the start, loads the snapshot when it can, and merges it with what it counted meanwhile.
/// Every group counter then equals the exact total of the work done, as if the store had never been away.
/// </summary>
public sealed class SnapshotSafetyEndToEndTests : PersistedAgentTests
{
    /// <summary>Saves 100 ticks of web work, stops gracefully, and advances 50 more while the agent is down.</summary>
    private async Task SaveAndStopAsync(string persistence)
    {
        Web(_raw);
        var agent = await StartAsync(persistence, snapshotEvery: 1);
        _agents.Add(agent);
        await CountersAsync(agent, Advance(100));
        Assert.Equal(0, await agent.StopGracefullyAsync());
        await agent.DisposeAsync();
        Advance(50);
    }

    /// <summary>While the saved state cannot be loaded the agent serves what it counts since its start.</summary>
    private async Task<AgentProcess> StartWhileUnavailableAsync(string persistence)
    {
        var agent = await StartAsync(persistence, snapshotEvery: 1, "--snapshot-load-timeout", "1s");
        _agents.Add(agent);
        var m = await agent.NextFullCycleAsync();
        Assert.Equal(0, m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "web", "mode", "user"));
        Assert.Equal(0, m.Value("procactors_snapshots_saved_total"));
        Assert.Contains("could not be loaded within", agent.Output, StringComparison.Ordinal);
        // Counting goes on meanwhile: 20 ticks now, counted whatever happens to the store.
        var during = Advance(20);
        m = await agent.NextFullCycleAsync();
        Assert.Equal(20 / 100.0, m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "web", "mode", "user"), 9);
        Assert.True(during > 20);
        return agent;
    }

    /// <summary>Once the store answers: the exact total, saving resumes, and the next start continues from it.</summary>
    private async Task MergedAndSavedAsync(AgentProcess agent, string persistence)
    {
        await agent.UntilAsync(x => x.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "web", "mode", "user") > 0.2,
            "the late snapshot to be merged", TimeSpan.FromSeconds(90));
        await CountersAsync(agent, Advance(5));
        Assert.Contains("merging", agent.Output, StringComparison.Ordinal);
        var saved = await agent.UntilAsync(x => x.Value("procactors_snapshots_saved_total") >= 2, "saving to resume", TimeSpan.FromSeconds(60));
        Assert.True(saved.Value("procactors_snapshots_saved_total") >= 2);
        Assert.Equal(0, await agent.StopGracefullyAsync());
        await agent.DisposeAsync();

        Advance(7);
        await using var again = await StartAsync(persistence, snapshotEvery: 1);
        await CountersAsync(again, _web);
    }

    [Fact]
    public async Task Postgres_down_at_start_then_up_the_saved_counters_are_merged_with_what_was_counted_meanwhile()
    {
        await using var server = await PostgresServer.OwnAsync();
        var persistence = "postgres:" + server.ConnectionString;
        await SaveAndStopAsync(persistence);

        await server.StopAsync();
        var agent = await StartWhileUnavailableAsync(persistence);
        await server.StartAsync();
        await MergedAndSavedAsync(agent, persistence);
    }

    [Fact]
    public async Task A_load_slower_than_the_timeout_is_merged_when_it_arrives()
    {
        await using var server = await PostgresServer.OwnAsync();
        var persistence = "postgres:" + server.ConnectionString;
        await SaveAndStopAsync(persistence);

        // A transaction holding the snapshot table: the agent's read waits (slow, not failing) until it ends.
        await using var blocker = new NpgsqlConnection(server.ConnectionString);
        await blocker.OpenAsync(TestContext.Current.CancellationToken);
        await using var transaction = await blocker.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE snapshot IN ACCESS EXCLUSIVE MODE", blocker, transaction))
            await lockTable.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);

        var agent = await StartWhileUnavailableAsync(persistence);
        await transaction.RollbackAsync(TestContext.Current.CancellationToken);
        await MergedAndSavedAsync(agent, persistence);
    }

    [Fact]
    public async Task A_sqlite_file_locked_at_start_does_not_stop_monitoring_and_is_merged_once_released()
    {
        var persistence = "sqlite:" + SqlitePath;
        await SaveAndStopAsync(persistence);

        // Another program holds the file exclusively (locking_mode=EXCLUSIVE keeps even readers out of a WAL file).
        var holder = new SqliteConnection($"Data Source={SqlitePath};Pooling=False");
        holder.Open();
        using (var take = holder.CreateCommand())
        {
            take.CommandText = "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE snapshot SET created = created;";
            take.ExecuteNonQuery();
        }
        AgentProcess agent;
        try
        {
            agent = await StartWhileUnavailableAsync(persistence);
        }
        finally
        {
            holder.Dispose();
        }
        await MergedAndSavedAsync(agent, persistence);
    }
}
