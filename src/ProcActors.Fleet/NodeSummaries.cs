using System.Text;
using ProcActors.Actors.View;
using ProcActors.Protocol;

namespace ProcActors.Fleet;

/// <summary>What a host tells the fleet about itself each cycle, from its node view.</summary>
public static class NodeSummaries
{
    /// <summary>Groups beyond this are left out of the summary (the busiest kept) so that a message stays far below the frame size.</summary>
    public const int MaxGroups = 1_000;

    /// <summary>What the groups of one summary may weigh at most (names included): a bit over half the frame.</summary>
    public const int MaxGroupBytes = 256 * 1024;

    /// <summary>A top process's command line in a summary is cut to this many UTF-8 bytes (60 processes at most).</summary>
    public const int MaxCmdlineBytes = 512;

    public static NodeSummary From(NodeView view, string address, string version, int top)
    {
        var groups = NodeViewQueries.Groups(view).Groups;
        if (groups.Count > MaxGroups || groups.Sum(Paging.Bound) > MaxGroupBytes)
        {
            var kept = new List<GroupSummary>();
            var bytes = 0;
            foreach (var group in groups.OrderByDescending(g => g.CpuPercent).ThenByDescending(g => g.ResidentBytes))
            {
                bytes += Paging.Bound(group);
                if (kept.Count == MaxGroups || bytes > MaxGroupBytes) break;
                kept.Add(group);
            }
            groups = [.. kept.OrderBy(g => g.Name, StringComparer.Ordinal)];
        }
        var busiest = new Dictionary<int, ProcessSummary>();
        foreach (var by in Enum.GetValues<TopBy>())
        {
            foreach (var process in NodeViewQueries.Top(view, top, by).Processes) busiest.TryAdd(process.Pid, Short(process));
        }
        return new NodeSummary(view.Node, address, version, view.Cycle, view.UpdatedAt, view.Counters.ProcessesTracked,
            groups, [.. busiest.Values.OrderBy(p => p.Pid)]);
    }

    /// <summary>The command line cut to <see cref="MaxCmdlineBytes"/>: the fleet's top shows a command, not a script.</summary>
    public static ProcessSummary Short(ProcessSummary process)
    {
        var bytes = 0;
        var kept = new List<string>();
        foreach (var arg in process.Cmdline)
        {
            var size = Encoding.UTF8.GetByteCount(arg);
            if (bytes + size > MaxCmdlineBytes)
            {
                if (kept.Count == 0) kept.Add(arg[..Math.Min(arg.Length, MaxCmdlineBytes / 4)]);
                return process with { Cmdline = kept };
            }
            bytes += size;
            kept.Add(arg);
        }
        return process;
    }
}
