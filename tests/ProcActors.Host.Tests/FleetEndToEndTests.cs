using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using ProcActors.Client;
using ProcActors.Protocol;
using ProcActors.Testing;

namespace ProcActors.Host.Tests;

/// <summary>
/// Three real agent processes on 127.0.0.1, each on its own fixture tree and SQLite file, joined to the first as
/// seed: fleet queries through the CLI and the typed client, kill -9 of a node, its restart with its counters, and a
/// node frozen by SIGSTOP past the downing timeout that comes back by itself.
/// </summary>
public sealed class FleetEndToEndTests : IAsyncDisposable
{
    private const string Config = """
        process_names:
          - name: "{{.Comm}}"
            comm: [web, db, cache]
        """;

    private static readonly string[] Comms = ["web", "db", "cache"];

    private readonly string _dir = Directory.CreateTempSubdirectory("procactors-fleet-").FullName;
    private readonly string _run = Guid.NewGuid().ToString("N")[..6];
    private readonly FixtureTree[] _trees = [new(), new(), new()];
    private readonly int[] _remotePorts = [ServedProcess.FreePort(), ServedProcess.FreePort(), ServedProcess.FreePort()];
    private readonly AgentProcess?[] _agents = new AgentProcess?[3];

    public FleetEndToEndTests()
    {
        File.WriteAllText(ConfigPath, Config);
        for (var i = 0; i < 3; i++) _trees[i].AddProcess(100 + i, Comms[i], starttime: 5_000, utime: 1_000 + (ulong)i * 100, readBytes: 4096);
    }

    private string ConfigPath => Path.Combine(_dir, "config.yml");

    private string Node(int i) => $"n{i + 1}-{_run}";

    private string Remote(int i) => $"127.0.0.1:{_remotePorts[i].ToString(CultureInfo.InvariantCulture)}";

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            if (agent is null) continue;
            agent.Signal(Sigcont);
            await agent.DisposeAsync();
        }
        foreach (var tree in _trees) tree.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<AgentProcess> StartAsync(int i)
    {
        var agent = await AgentProcess.StartAsync("-procfs", _trees[i].Root, "-config.path", ConfigPath, "--scan-interval", "200ms",
            "--node-name", Node(i), "--remote", Remote(i), "--seed-nodes", Remote(0),
            "--persistence", "sqlite:" + Path.Combine(_dir, $"agent{i}.db"), "--snapshot-every", "1");
        _agents[i] = agent;
        return agent;
    }

    private async Task StartFleetAsync()
    {
        await StartAsync(0);
        await Task.WhenAll(StartAsync(1), StartAsync(2));
    }

    [Fact]
    public async Task Any_node_answers_for_the_fleet_survives_kill_9_and_takes_back_a_restarted_node_with_its_counters()
    {
        await StartFleetAsync();

        // The CLI, asked of the third node, lists the groups of all three hosts, each row with its host.
        var rows = await UntilAsync(async () =>
        {
            var (code, stdout, _) = await CliAsync("query", "groups", "--cluster", "--agent", Remote(2), "--json");
            if (code != 0) return null;
            var groups = JsonDocument.Parse(stdout).RootElement.GetProperty("groups").EnumerateArray()
                .Select(g => (Node: g.GetProperty("node").GetString()!, Group: g.GetProperty("group").GetProperty("name").GetString()!,
                    Cpu: g.GetProperty("group").GetProperty("cpuUserSeconds").GetDouble()))
                .ToList();
            return groups.Count == 3 ? groups : null;
        }, "the three hosts' groups through the CLI");
        for (var i = 0; i < 3; i++) Assert.Contains(rows, r => r.Node == Node(i) && r.Group == Comms[i]);

        // /metrics/fleet of any node serves every host's group series under a node label. Each node keeps its own fleet
        // view: the second may get the third's summary a cycle after the third node lists all three.
        var fleetMetrics = await UntilAsync(async () =>
        {
            var scraped = await _agents[1]!.ScrapeAsync("/metrics/fleet");
            return Enumerable.Range(0, 3).All(i => scraped.Has("namedprocess_namegroup_num_procs", "node", Node(i), "groupname", Comms[i])) ? scraped : null;
        }, "every host's groups in the second node's /metrics/fleet");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1, fleetMetrics.Value("namedprocess_namegroup_num_procs", "node", Node(i), "groupname", Comms[i]));
            Assert.Equal(1, fleetMetrics.Value("procactors_fleet_node_status", "node", Node(i), "status", "up"));
        }

        await using var client = await ProcActorsClient.ConnectAsync(Remote(0), TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        // The db process works 3 s of CPU: the counter its restarted agent must restore from SQLite.
        _trees[1].AddProcess(101, "db", starttime: 5_000, utime: 1_400, readBytes: 4096);
        var db = await UntilAsync(async () =>
        {
            var groups = await client.GetGroupsAsync(Node(1), TestContext.Current.CancellationToken);
            return groups.Groups.SingleOrDefault(g => g.Name == "db")?.CpuUserSeconds == 3.0 ? groups : null;
        }, "the db group's 3 s of CPU, routed through the first node");
        Assert.Equal(Node(1), db.Node);
        var before = db.Groups.Single(g => g.Name == "db").CpuUserSeconds;
        await _agents[1]!.NextFullCycleAsync();
        var error = await Assert.ThrowsAsync<ProcActorsException>(() => client.GetGroupsAsync("no-such-host", TestContext.Current.CancellationToken));
        Assert.Contains("no-such-host", error.Message, StringComparison.Ordinal);

        await _agents[1]!.KillHardAsync();

        // Every fleet query answers within 2 s while the second node is unreachable, then flags it.
        var slowest = TimeSpan.Zero;
        var flagged = await UntilAsync(async () =>
        {
            var watch = Stopwatch.StartNew();
            var nodes = await client.GetNodesAsync(TestContext.Current.CancellationToken);
            await client.GetFleetGroupsAsync(TestContext.Current.CancellationToken);
            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
            var second = nodes.Nodes.SingleOrDefault(n => n.Name == Node(1));
            return second?.Status is NodeStatus.Unreachable ? second : null;
        }, "the killed node flagged unreachable");
        Assert.True(slowest < TimeSpan.FromSeconds(2), $"a fleet query took {slowest.TotalMilliseconds:0} ms");
        var unavailable = await Assert.ThrowsAsync<ProcActorsException>(() => client.GetGroupsAsync(Node(1), TestContext.Current.CancellationToken));
        Assert.Contains(Node(1), unavailable.Message, StringComparison.Ordinal);

        await StartAsync(1);
        var back = await UntilAsync(async () =>
        {
            var nodes = await client.GetNodesAsync(TestContext.Current.CancellationToken);
            if (nodes.Nodes.SingleOrDefault(n => n.Name == Node(1))?.Status != NodeStatus.Up) return null;
            var fleet = await client.GetFleetGroupsAsync(TestContext.Current.CancellationToken);
            return fleet.Groups.SingleOrDefault(g => g.Node == Node(1) && g.Group.Name == "db");
        }, "the restarted node up again with its group", TimeSpan.FromSeconds(90));
        Assert.Equal(before, back.Group.CpuUserSeconds, 9);
    }

    [Fact]
    public async Task A_node_frozen_past_the_downing_timeout_keeps_serving_metrics_and_rejoins_by_itself()
    {
        await StartFleetAsync();
        await using var client = await ProcActorsClient.ConnectAsync(Remote(0), TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        await UntilAsync(async () => (await client.GetNodesAsync(TestContext.Current.CancellationToken)).Nodes.Count(n => n.Status == NodeStatus.Up) == 3 ? "" : null,
            "three nodes up");

        var frozen = _agents[2]!;
        Assert.True(frozen.Signal(Sigstop));
        // Unreachable after the failure detector's 5 s, downed by the majority 10 s later: freeze well past both.
        await UntilAsync(async () => (await client.GetNodesAsync(TestContext.Current.CancellationToken)).Nodes.Any(n => n.Name == Node(2) && n.Status == NodeStatus.Left) ? "" : null,
            "the frozen node downed and removed", TimeSpan.FromSeconds(60));
        Assert.True(frozen.Signal(Sigcont));

        // From the moment it runs again, /metrics answers on every poll while its cluster system is replaced.
        var cycle = 0.0;
        var watch = Stopwatch.StartNew();
        NodeInfo? up = null;
        while (watch.Elapsed < TimeSpan.FromSeconds(30) && up is null)
        {
            var metrics = await frozen.ScrapeAsync();
            var now = metrics.Value("procactors_cycle");
            Assert.True(now >= cycle, "the cycle counter went back");
            cycle = now;
            up = (await client.GetNodesAsync(TestContext.Current.CancellationToken)).Nodes.SingleOrDefault(n => n.Name == Node(2) && n.Status == NodeStatus.Up);
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
        Assert.True(up is not null, $"the resumed node was not up again within 30 s:\n{frozen.Output}");
        Assert.Contains("rejoining", frozen.Output, StringComparison.Ordinal);
        var after = (await frozen.NextFullCycleAsync()).Value("procactors_cycle");
        Assert.True(after > cycle);
    }

    private static async Task<T> UntilAsync<T>(Func<Task<T?>> attempt, string what, TimeSpan? timeout = null) where T : class
    {
        var watch = Stopwatch.StartNew();
        Exception? last = null;
        while (watch.Elapsed < (timeout ?? TimeSpan.FromSeconds(60)))
        {
            try
            {
                if (await attempt() is { } result) return result;
            }
            catch (ProcActorsException ex)
            {
                last = ex;
            }
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
        throw new TimeoutException($"waited in vain for {what}" + (last is null ? "" : $" (last error: {last.Message})"));
    }

    /// <summary>Runs the built executable's query verb, as an operator would.</summary>
    internal static Task<(int Code, string Stdout, string Stderr)> CliAsync(params string[] args) => AgentProcess.RunToEndAsync(null, args);

    private const int Sigstop = 19;
    private const int Sigcont = 18;

}
