using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ProcActors.Client;
using ProcActors.Protocol;
using Spectre.Console;

namespace ProcActors.Host;

/// <summary>The flags the query and top verbs share.</summary>
internal sealed record QueryArgs(
    string Verb, string? Name, string Agent, string? Node, bool Cluster, bool Json, int N, TopBy By, TimeSpan Timeout, TimeSpan Refresh, RemoteTls? Tls = null)
{
    public const string DefaultAgent = "127.0.0.1:4053";

    public static QueryArgs Parse(IReadOnlyList<string> args, bool verbRequired)
    {
        string? verb = null, name = null, node = null;
        RemoteTls? tls = null;
        var agent = DefaultAgent;
        bool cluster = false, json = false;
        var n = 10;
        var by = TopBy.Cpu;
        var timeout = TimeSpan.FromSeconds(5);
        var refresh = TimeSpan.FromSeconds(2);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new UsageException($"flag needs an argument: {arg}");
            switch (arg.TrimStart('-'))
            {
                case "agent" when arg.StartsWith('-'): agent = Value(); break;
                case "node" when arg.StartsWith('-'): node = Value(); break;
                case "remote-tls-cert" when arg.StartsWith('-'): tls = LoadTls(Value()); break;
                case "cluster" when arg.StartsWith('-'): cluster = true; break;
                case "json" when arg.StartsWith('-'): json = true; break;
                case "n" when arg.StartsWith('-'):
                    n = int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0 ? count : throw new UsageException("-n must be a positive whole number");
                    break;
                case "by" when arg.StartsWith('-'): by = ParseBy(Value()); break;
                case "timeout" when arg.StartsWith('-'): timeout = CommandLine.Duration("timeout", Value()); break;
                case "refresh" when arg.StartsWith('-'): refresh = CommandLine.Duration("refresh", Value()); break;
                default:
                    if (arg.StartsWith('-')) throw new UsageException($"unknown flag {arg}");
                    if (verb is null) verb = arg;
                    else if (name is null) name = arg;
                    else throw new UsageException($"unexpected argument \"{arg}\"");
                    break;
            }
        }
        if (verbRequired && verb is not ("nodes" or "groups" or "group" or "top"))
            throw new UsageException(verb is null ? "a query is needed: nodes, groups, group NAME or top" : $"unknown query \"{verb}\": nodes, groups, group NAME or top");
        if (verb == "group" && name is null) throw new UsageException("group needs the group's name: procactors query group NAME");
        if (cluster && node is not null) throw new UsageException("--cluster asks the whole fleet, --node one host: choose one");
        return new QueryArgs(verb ?? "top", name, agent, node, cluster, json, n, by, timeout, refresh, tls);
    }

    private static RemoteTls LoadTls(string path)
    {
        try
        {
            return RemoteTls.Load(path);
        }
        catch (RemoteTlsException ex)
        {
            throw new UsageException($"--remote-tls-cert: {ex.Message}");
        }
    }

    public static TopBy ParseBy(string value) => value.ToLowerInvariant() switch
    {
        "cpu" => TopBy.Cpu,
        "rss" or "mem" or "memory" => TopBy.Rss,
        "io" => TopBy.Io,
        _ => throw new UsageException($"unknown measure \"{value}\": cpu, rss or io"),
    };
}

/// <summary>
/// procactors query nodes|groups|group NAME|top [--node N] [--cluster] [--agent HOST:PORT] [--json]: asks an agent,
/// prints a table (or JSON) and exits; 0 when answered, 1 when the agent, host or group cannot answer, 2 on misuse.
/// </summary>
internal static class QueryCommand
{
    public const string Usage = """
        Usage: procactors query nodes|groups|group NAME|top [flags]
          --agent HOST:PORT   the agent to ask (its --remote; default 127.0.0.1:4053)
          --node NAME         ask about that host of the fleet (default: the asked agent's own host)
          --cluster           every host of the fleet (groups, group NAME, top)
          --json              print the answer as JSON instead of a table
          -n N, --by cpu|rss|io   top: how many processes, busiest by what (default 10, cpu)
          --timeout 5s        how long to wait for the answer
          --remote-tls-cert F the fleet's certificate, when the agents require TLS (their --remote-tls-cert)
        """;

    private static readonly JsonSerializerOptions JsonOptions = new(QueryJson.Default.Options)
    {
        Converters =
        {
            new JsonStringEnumConverter<NodeStatus>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<TopBy>(JsonNamingPolicy.CamelCase),
        },
    };

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args is ["-h" or "--help" or "-help" or "help", ..])
        {
            Console.Out.Write(Usage);
            return 0;
        }
        QueryArgs q;
        try
        {
            q = QueryArgs.Parse(args, verbRequired: true);
        }
        catch (UsageException ex)
        {
            await Console.Error.WriteLineAsync($"procactors query: {ex.Message}\n{Usage}").ConfigureAwait(false);
            return 2;
        }
        try
        {
            await using var client = await ProcActorsClient.ConnectAsync(q.Agent, q.Tls, q.Timeout).ConfigureAwait(false);
            var answer = await AskAsync(client, q).ConfigureAwait(false);
            if (q.Json) Console.Out.WriteLine(JsonSerializer.Serialize(answer, JsonOptions.GetTypeInfo(answer.GetType())));
            else AnsiConsole.Write(Tables.For(answer));
            return 0;
        }
        catch (ProcActorsException ex)
        {
            await Console.Error.WriteLineAsync($"procactors query: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
#pragma warning disable CA1031 // A command-line tool ends with one line, never a stack trace.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"procactors query: {ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static async Task<object> AskAsync(ProcActorsClient client, QueryArgs q)
    {
        switch (q.Verb)
        {
            case "nodes":
                return await client.GetNodesAsync().ConfigureAwait(false);
            case "groups" when q.Cluster:
                return await client.GetFleetGroupsAsync().ConfigureAwait(false);
            case "groups":
                return await client.GetGroupsAsync(q.Node).ConfigureAwait(false);
            case "group" when q.Cluster:
                var fleet = await client.GetFleetGroupsAsync().ConfigureAwait(false);
                var rows = fleet.Groups.Where(g => g.Group.Name == q.Name).ToList();
                return rows.Count > 0 ? fleet with { Groups = rows, Merged = [.. fleet.Merged.Where(g => g.Name == q.Name)] }
                    : throw new ProcActorsException($"no host of the fleet has a group named \"{q.Name}\"");
            case "group":
                var group = await client.GetGroupAsync(q.Name!, q.Node).ConfigureAwait(false);
                return group.Group is not null ? group : throw new ProcActorsException($"host {group.Node} has no group named \"{q.Name}\"");
            case "top" when q.Cluster:
                return await client.GetFleetTopAsync(q.N, q.By).ConfigureAwait(false);
            default:
                return await client.GetTopAsync(q.N, q.By, q.Node).ConfigureAwait(false);
        }
    }
}

/// <summary>Answers as Spectre.Console tables.</summary>
/// <summary>
/// The JSON of every answer `query --json` prints, generated at build time (no reflection at run time: the native
/// build has none for System.Text.Json); enums are written camel-case by the converters of <c>JsonOptions</c>.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(NodesResponse))]
[JsonSerializable(typeof(FleetGroupsResponse))]
[JsonSerializable(typeof(GroupsResponse))]
[JsonSerializable(typeof(GroupResponse))]
[JsonSerializable(typeof(TopResponse))]
[JsonSerializable(typeof(FleetTopResponse))]
internal sealed partial class QueryJson : JsonSerializerContext;

internal static class Tables
{
    public static Table For(object answer) => answer switch
    {
        NodesResponse r => Table(["node", "status", "address", "cycle", "last cycle", "procs", "version"],
            r.Nodes.Select(n => new[] { n.Name, Status(n.Status), n.Address, Num(n.Cycle), n.LastCycleAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-", Num(n.Processes), n.Version })),
        FleetGroupsResponse r => Table(["node", "group", "procs", "cpu %", "rss", "read/s", "write/s", "threads"],
            r.Groups.Select(g => Row(g.Status == NodeStatus.Up ? g.Node : $"{g.Node} ({Status(g.Status)})", g.Group))),
        GroupsResponse r => Table(["node", "group", "procs", "cpu %", "rss", "read/s", "write/s", "threads"], r.Groups.Select(g => Row(r.Node, g))),
        GroupResponse r => Table(["node", "group", "pid", "name", "cpu %", "rss", "io/s", "cmdline"],
            r.Members.Select(p => new[] { r.Node, p.Group, Num(p.Pid), p.Name, Pct(p.CpuPercent), Bytes(p.ResidentBytes), Bytes(p.IoBytesPerSecond), string.Join(' ', p.Cmdline) })),
        TopResponse r => Table(["node", "pid", "group", "name", "cpu %", "rss", "io/s"], r.Processes.Select(p => Process(r.Node, p))),
        FleetTopResponse r => Table(["node", "pid", "group", "name", "cpu %", "rss", "io/s"], r.Processes.Select(p => Process(p.Node, p.Process))),
        _ => throw new ProcActorsException($"no table for {answer.GetType().Name}"),
    };

    public static string[] Row(string node, GroupSummary g) =>
        [node, g.Name, Num(g.Procs), Pct(g.CpuPercent), Bytes(g.ResidentBytes), Bytes(g.ReadBytesPerSecond), Bytes(g.WriteBytesPerSecond), Num((long)g.NumThreads)];

    private static string[] Process(string node, ProcessSummary p) =>
        [node, Num(p.Pid), p.Group, p.Name, Pct(p.CpuPercent), Bytes(p.ResidentBytes), Bytes(p.IoBytesPerSecond)];

    public static Table Table(string[] columns, IEnumerable<string[]> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in columns) table.AddColumn(new TableColumn(column));
        foreach (var row in rows) table.AddRow([.. row.Select(Markup.Escape)]);
        return table;
    }

    public static string Status(NodeStatus status) => status.ToString().ToLowerInvariant();

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Pct(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    public static string Bytes(double value)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? value.ToString("0", CultureInfo.InvariantCulture) + " B" : value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
