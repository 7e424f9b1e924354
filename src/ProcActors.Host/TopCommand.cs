using ProcActors.Client;
using ProcActors.Protocol;
using Spectre.Console;

namespace ProcActors.Host;

/// <summary>
/// procactors top [--agent HOST:PORT] [--by cpu|rss|io] [--refresh 2s]: a live view of the fleet's groups, one row
/// per group and host, busiest first, refreshed until q; c, m and i sort by CPU, memory (RSS) and I/O.
/// </summary>
internal static class TopCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        QueryArgs q;
        try
        {
            q = QueryArgs.Parse(args, verbRequired: false);
        }
        catch (UsageException ex)
        {
            await Console.Error.WriteLineAsync($"procactors top: {ex.Message}\nUsage: procactors top [--agent HOST:PORT] [--by cpu|rss|io] [--refresh 2s]").ConfigureAwait(false);
            return 2;
        }
        try
        {
            await using var client = await ProcActorsClient.ConnectAsync(q.Agent, q.Tls, q.Timeout).ConfigureAwait(false);
            var by = q.By;
            using var quit = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                quit.Cancel();
            };
            await AnsiConsole.Live(new Text("asking " + q.Agent + "…")).StartAsync(async live =>
            {
                while (!quit.IsCancellationRequested)
                {
                    NodesResponse nodes;
                    FleetGroupsResponse groups;
                    try
                    {
                        nodes = await client.GetNodesAsync(quit.Token).ConfigureAwait(false);
                        groups = await client.GetFleetGroupsAsync(quit.Token).ConfigureAwait(false);
                        live.UpdateTarget(Render(q.Agent, nodes, groups, by));
                    }
                    catch (ProcActorsException ex)
                    {
                        live.UpdateTarget(new Text($"{q.Agent}: {ex.Message} (retrying)"));
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                    by = await WaitForKeyAsync(q.Refresh, by, quit).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
            return 0;
        }
        catch (ProcActorsException ex)
        {
            await Console.Error.WriteLineAsync($"procactors top: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
#pragma warning disable CA1031 // A command-line tool ends with one line, never a stack trace.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"procactors top: {ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>Waits out the refresh period, answering keys at once: a sort key redraws, q quits.</summary>
    private static async Task<TopBy> WaitForKeyAsync(TimeSpan refresh, TopBy by, CancellationTokenSource quit)
    {
        var until = DateTime.UtcNow + refresh;
        while (DateTime.UtcNow < until && !quit.IsCancellationRequested)
        {
            while (!Console.IsInputRedirected && Console.KeyAvailable)
            {
                switch (char.ToLowerInvariant(Console.ReadKey(intercept: true).KeyChar))
                {
                    case 'q': quit.Cancel(); return by;
                    case 'c': return TopBy.Cpu;
                    case 'm' or 'r': return TopBy.Rss;
                    case 'i': return TopBy.Io;
                }
            }
            await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
        }
        return by;
    }

    public static Spectre.Console.Rendering.IRenderable Render(string agent, NodesResponse nodes, FleetGroupsResponse groups, TopBy by)
    {
        var up = nodes.Nodes.Count(n => n.Status == NodeStatus.Up);
        var header = new Markup(Markup.Escape($"procactors top — {agent} ({nodes.AnsweredBy}): {nodes.Nodes.Count} hosts, {up} up, " +
            $"{nodes.Nodes.Sum(n => n.Processes)} processes, sorted by {by.ToString().ToUpperInvariant()}") + "   [grey]c cpu · m memory · i io · q quit[/]");
        var hosts = Tables.Table(["host", "status", "cycle", "procs"],
            nodes.Nodes.Select(n => new[] { n.Name, Tables.Status(n.Status), n.Cycle.ToString(System.Globalization.CultureInfo.InvariantCulture), n.Processes.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        var ordered = by switch
        {
            TopBy.Rss => groups.Groups.OrderByDescending(g => g.Group.ResidentBytes),
            TopBy.Io => groups.Groups.OrderByDescending(g => g.Group.ReadBytesPerSecond + g.Group.WriteBytesPerSecond),
            _ => groups.Groups.OrderByDescending(g => g.Group.CpuPercent),
        };
        var rows = Tables.Table(["node", "group", "procs", "cpu %", "rss", "read/s", "write/s", "threads"],
            ordered.Take(Math.Max(5, Console.WindowHeight - nodes.Nodes.Count - 12)).Select(g => Tables.Row(g.Node, g.Group)));
        return new Rows(header, hosts, rows);
    }
}
