using Microsoft.Data.Sqlite;
using ProcActors.Testing;

namespace ProcActors.Host.Tests;

/// <summary>
/// The built agent on a fixture tree with a store: a "web" process whose counters a test advances, and the exact
/// group totals it expects after any sequence of stops, kills, outages and restarts.
/// </summary>
public abstract class PersistedAgentTests : IAsyncDisposable
{
    private const string Config = """
        process_names:
          - name: "{{.Comm}}"
            comm: [web, db]
        """;

    private protected readonly FixtureTree _tree = new(uptime: "1000.00 2000.00\n");
    private protected readonly string _dir = Directory.CreateTempSubdirectory("procactors-persist-").FullName;
    private protected readonly string _node = "node-" + Guid.NewGuid().ToString("N")[..8];
    private protected ulong _web;

    protected PersistedAgentTests() => File.WriteAllText(ConfigPath, Config);

    private protected string ConfigPath => Path.Combine(_dir, "config.yml");

    private protected string SqlitePath => Path.Combine(_dir, "state", "procactors.db");

    /// <summary>Agents a test stops itself: still killed if the test fails before it does.</summary>
    private protected readonly List<AgentProcess> _agents = [];

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents) await agent.DisposeAsync();
        _tree.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    private protected void Web(ulong work) => _tree.AddProcess(100, "web", starttime: 5_000, utime: work, readBytes: work * 10);

    /// <summary>Starts the agent and waits for its first cycle: what the test changes next is a change it sees.</summary>
    private protected async Task<AgentProcess> StartAsync(string persistence, int snapshotEvery, params string[] extra)
    {
        var agent = await StartServingAsync(persistence, snapshotEvery, extra);
        await agent.UntilAsync(x => x.TryValue("procactors_cycle", out var cycle) && cycle >= 1, "a first cycle");
        return agent;
    }

    /// <summary>Starts the agent and returns as soon as it serves HTTP, before any cycle.</summary>
    private protected Task<AgentProcess> StartServingAsync(string persistence, int snapshotEvery, params string[] extra) =>
        AgentProcess.StartAsync([
            "-procfs", _tree.Root, "-config.path", ConfigPath, "--scan-interval", "100ms", "--node-name", _node,
            "--persistence", persistence, "--snapshot-every", snapshotEvery.ToString(System.Globalization.CultureInfo.InvariantCulture), .. extra]);

    private protected static async Task<MetricsText> CountersAsync(AgentProcess agent, ulong web, double? db = null)
    {
        var m = await agent.NextFullCycleAsync();
        Assert.Equal(web / 100.0, m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "web", "mode", "user"), 9);
        Assert.Equal(web * 10, m.Value("namedprocess_namegroup_read_bytes_total", "groupname", "web"));
        if (db is { } dbSeconds) Assert.Equal(dbSeconds, m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "db", "mode", "user"), 9);
        return m;
    }

    /// <summary>Advances the web group by <paramref name="by"/> ticks and returns the expected group total.</summary>
    private protected ulong Advance(ulong by)
    {
        _raw += by;
        Web(_raw);
        _web += by;
        return _web;
    }

    private protected ulong _raw = 1_000;
}
