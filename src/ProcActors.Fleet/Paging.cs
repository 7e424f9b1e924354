using ProcActors.Protocol;

namespace ProcActors.Fleet;

/// <summary>
/// Cuts a fleet answer into pages that each stay under a byte budget, by an upper bound of each entry's MessagePack
/// size (numbers at their widest), so that a page never exceeds the budget whatever the figures.
/// </summary>
public static class Paging
{
    public static int Bound(GroupSummary group) => WireSize.Bound(group);

    public static int Bound(NodeGroup row) => 12 + WireSize.Text(row.Node) + WireSize.Bound(row.Group);

    /// <summary>Rows first, then merged groups, as one sequence cut by <see cref="WireSize.Cut"/>.</summary>
    public static FleetGroupsResponse[] Cut(FleetGroupsResponse answer, long view, int budget)
    {
        var groups = answer.Groups.ToArray();
        var merged = answer.Merged.ToArray();
        var rows = groups.Length;
        int[] entries = [.. Enumerable.Range(0, rows + merged.Length)];
        var ranges = WireSize.Cut(entries, i => i < rows ? Bound(groups[i]) : Bound(merged[i - rows]), Header(answer), budget);
        return [.. ranges.Select((r, page) => new FleetGroupsResponse(answer.AnsweredBy,
            groups[Math.Min(r.Start.Value, rows)..Math.Min(r.End.Value, rows)],
            merged[Math.Max(r.Start.Value - rows, 0)..Math.Max(r.End.Value - rows, 0)], page, ranges.Count, view))];
    }

    private static int Header(FleetGroupsResponse answer) => 48 + WireSize.Text(answer.AnsweredBy);
}
