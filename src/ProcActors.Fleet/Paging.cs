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

    public static FleetGroupsResponse[] Cut(FleetGroupsResponse answer, long view, int budget)
    {
        var pages = new List<(int Rows, int RowCount, int Merged, int MergedCount)>();
        int rowStart = 0, rowCount = 0, mergedStart = 0, mergedCount = 0;
        var size = Header(answer);
        void Close()
        {
            pages.Add((rowStart, rowCount, mergedStart, mergedCount));
            rowStart += rowCount;
            mergedStart += mergedCount;
            rowCount = mergedCount = 0;
            size = Header(answer);
        }
        foreach (var row in answer.Groups)
        {
            var bytes = Bound(row);
            if (rowCount + mergedCount > 0 && size + bytes > budget) Close();
            size += bytes;
            rowCount++;
        }
        foreach (var group in answer.Merged)
        {
            var bytes = Bound(group);
            if (rowCount + mergedCount > 0 && size + bytes > budget) Close();
            size += bytes;
            mergedCount++;
        }
        Close();
        var groups = answer.Groups.ToArray();
        var merged = answer.Merged.ToArray();
        return [.. pages.Select((p, i) => new FleetGroupsResponse(answer.AnsweredBy, groups[p.Rows..(p.Rows + p.RowCount)],
            merged[p.Merged..(p.Merged + p.MergedCount)], i, pages.Count, view))];
    }

    private static int Header(FleetGroupsResponse answer) => 48 + WireSize.Text(answer.AnsweredBy);
}
