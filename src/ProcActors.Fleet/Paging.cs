using System.Text;
using ProcActors.Protocol;

namespace ProcActors.Fleet;

/// <summary>
/// Cuts a fleet answer into pages that each stay under a byte budget, by an upper bound of each entry's MessagePack
/// size (numbers at their widest), so that a page never exceeds the budget whatever the figures.
/// </summary>
public static class Paging
{
    /// <summary>A group's fields other than its name, every number at its widest (9 bytes), with the array headers.</summary>
    private const int GroupFixedBytes = 260;

    public static int Bound(GroupSummary group) => GroupFixedBytes + Text(group.Name);

    public static int Bound(NodeGroup row) => 12 + Text(row.Node) + Bound(row.Group);

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

    private static int Header(FleetGroupsResponse answer) => 48 + Text(answer.AnsweredBy);

    private static int Text(string text) => 5 + Encoding.UTF8.GetByteCount(text);
}
