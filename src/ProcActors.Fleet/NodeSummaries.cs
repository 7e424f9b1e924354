using ProcActors.Actors.View;
using ProcActors.Protocol;

namespace ProcActors.Fleet;

/// <summary>What a host tells the fleet about itself each cycle, from its node view.</summary>
public static class NodeSummaries
{
    /// <summary>Groups beyond this are left out of the summary (the busiest kept) so that a message stays far below the frame size.</summary>
    public const int MaxGroups = 2_000;

    public static NodeSummary From(NodeView view, string address, string version, int top)
    {
        var groups = NodeViewQueries.Groups(view).Groups;
        if (groups.Count > MaxGroups)
            groups = [.. groups.OrderByDescending(g => g.CpuPercent).ThenByDescending(g => g.ResidentBytes).Take(MaxGroups).OrderBy(g => g.Name, StringComparer.Ordinal)];
        var busiest = new Dictionary<int, ProcessSummary>();
        foreach (var by in Enum.GetValues<TopBy>())
        {
            foreach (var process in NodeViewQueries.Top(view, top, by).Processes) busiest.TryAdd(process.Pid, process);
        }
        return new NodeSummary(view.Node, address, version, view.Cycle, view.UpdatedAt, view.Counters.ProcessesTracked,
            groups, [.. busiest.Values.OrderBy(p => p.Pid)]);
    }
}
