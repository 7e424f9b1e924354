using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ProcActors.Host.Tests;

/// <summary>
/// Crash safety at random points: the agent killed with SIGKILL 50 times in a row on each store, and after every
/// restart each group counter is at least its value in the last completed snapshot and exactly the work done.
/// (Its own class, so that it runs beside the other persistence tests rather than after them.)
/// </summary>
public sealed class KillAtRandomMomentsEndToEndTests(ITestOutputHelper output) : PersistedAgentTests
{
    /// <summary>
    /// kill -9 at random moments (while loading, while saving, between saves), restart, and check that every group
    /// counter is at least its value in the last snapshot that completed, and exactly the work done: never lost,
    /// never counted twice.
    /// </summary>
    private async Task KilledAtRandomMoments(string persistence, Func<long?> lastSavedWebTicks, int kills)
    {
        var random = new Random(20261130);
        Web(_raw);
        var first = await StartAsync(persistence, snapshotEvery: 1);
        _agents.Add(first);
        await CountersAsync(first, Advance(10));
        Assert.Equal(0, await first.StopGracefullyAsync());
        await first.DisposeAsync();
        int checkedRestarts = 0, earlyKills = 0;
        ulong maxDeviation = 0;
        for (var i = 0; i < kills; i++)
        {
            Advance((ulong)random.Next(1, 50));
            var savedBefore = lastSavedWebTicks();
            var agent = await StartServingAsync(persistence, 1, "--scan-interval", "50ms", "--snapshot-load-timeout", "60s");
            try
            {
                // A third of the kills land before the first cycle: while the snapshot loads or is merged.
                if (random.Next(3) > 0)
                {
                    var m = await CountersOrDeviationAsync(agent);
                    var webTicks = (ulong)Math.Round(m * 100);
                    maxDeviation = Math.Max(maxDeviation, webTicks > _web ? webTicks - _web : _web - webTicks);
                    Assert.Equal(_web, webTicks);
                    if (savedBefore is { } saved) Assert.True((long)webTicks >= saved, $"{webTicks} ticks served after the restart, {saved} in the last snapshot");
                    checkedRestarts++;
                    Advance((ulong)random.Next(1, 20));
                }
                else
                {
                    earlyKills++;
                }
                await Task.Delay(random.Next(0, 400), TestContext.Current.CancellationToken);
                await agent.KillHardAsync();
            }
            finally
            {
                await agent.DisposeAsync();
            }
        }
        await using var last = await StartAsync(persistence, snapshotEvery: 1);
        await CountersAsync(last, _web);
        output.WriteLine($"{persistence.Split(':')[0]}: {kills} kills (kill -9), {kills + 1} restarts, {checkedRestarts} checked after a full cycle, {earlyKills} killed before their first cycle; max deviation from the work done: {maxDeviation} ticks");
    }

    /// <summary>The web group's CPU seconds after the first full cycle of a restarted agent.</summary>
    private static async Task<double> CountersOrDeviationAsync(AgentProcess agent)
    {
        var m = await agent.UntilAsync(x => x.TryValue("procactors_cycle", out var c) && c >= 1, "a first cycle");
        m = await agent.NextFullCycleAsync();
        return m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "web", "mode", "user");
    }

    /// <summary>The web group's CPU ticks in a stored snapshot (the JSON the agent writes).</summary>
    private static long? WebTicks(byte[]? json)
    {
        if (json is null) return null;
        using var doc = JsonDocument.Parse(json);
        foreach (var group in doc.RootElement.GetProperty("Groups").EnumerateArray())
        {
            if (group.GetProperty("Name").GetString() == "web") return group.GetProperty("Counts").GetProperty("CpuUserTicks").GetInt64();
        }
        return null;
    }

    [Fact]
    public Task Sqlite_kill_9_at_random_moments_50_times_never_loses_or_doubles_a_counter() =>
        KilledAtRandomMoments("sqlite:" + SqlitePath, () =>
        {
            using var connection = new SqliteConnection($"Data Source={SqlitePath};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT snapshot FROM snapshot ORDER BY sequence_number DESC LIMIT 1";
            try
            {
                return WebTicks(command.ExecuteScalar() as byte[]);
            }
            catch (SqliteException)
            {
                return null;
            }
        }, kills: 50);

    [Fact]
    public async Task Postgres_kill_9_at_random_moments_50_times_never_loses_or_doubles_a_counter()
    {
        await using var server = await PostgresServer.SharedOrOwnAsync();
        var node = _node;
        await KilledAtRandomMoments("postgres:" + server.ConnectionString, () =>
        {
            using var connection = new NpgsqlConnection(server.ConnectionString);
            connection.Open();
            using var command = new NpgsqlCommand("SELECT snapshot FROM snapshot WHERE persistence_id = @id ORDER BY sequence_number DESC LIMIT 1", connection);
            command.Parameters.AddWithValue("id", "aggregator-" + node);
            try
            {
                return WebTicks(command.ExecuteScalar() as byte[]);
            }
            catch (PostgresException)
            {
                return null;
            }
        }, kills: 50);
    }
}
