using System.Text;

namespace ProcActors.Protocol;

/// <summary>
/// Upper bounds of what protocol entries weigh in the binary form (every number at its widest), and the cutting of a
/// list of them into pages under a byte budget: a page never exceeds the budget whatever the figures, so no reply
/// nears Akka.Remote's frame size (512,000 bytes in hocon/cluster.hocon and the client's settings).
/// </summary>
public static class WireSize
{
    /// <summary>What one page of an answer may weigh: a quarter of the transport's frame.</summary>
    public const int PageBytes = 128 * 1024;

    /// <summary>A group's fields other than its name, every number at its widest (9 bytes), with the array headers.</summary>
    private const int GroupFixedBytes = 280;

    /// <summary>A process's fields other than its texts, numbers at their widest, with the array headers.</summary>
    private const int ProcessFixedBytes = 60;

    /// <summary>What a reply's own fields (node, cycle, time, page numbers, a group's summary) may weigh besides its list.</summary>
    public const int ReplyFixedBytes = 64;

    public static int Bound(GroupSummary group) => GroupFixedBytes + Text(group.Name);

    public static int Bound(ProcessSummary process)
    {
        var bytes = ProcessFixedBytes + Text(process.Group) + Text(process.Name);
        foreach (var arg in process.Cmdline) bytes += Text(arg);
        return bytes;
    }

    /// <summary>A MessagePack string: its UTF-8 bytes and a header of at most 5 bytes.</summary>
    public static int Text(string text) => 5 + Encoding.UTF8.GetByteCount(text);

    /// <summary>
    /// Cuts <paramref name="items"/> into consecutive ranges whose bounds, with <paramref name="header"/>, stay under
    /// <paramref name="budget"/>; an entry bigger than a page alone gets a page of its own. At least one (maybe empty) page.
    /// </summary>
    public static IReadOnlyList<Range> Cut<T>(IReadOnlyList<T> items, Func<T, int> bound, int header, int budget = PageBytes)
    {
        var pages = new List<Range>();
        int start = 0, size = header;
        for (var i = 0; i < items.Count; i++)
        {
            var bytes = bound(items[i]);
            if (i > start && size + bytes > budget)
            {
                pages.Add(start..i);
                start = i;
                size = header;
            }
            size += bytes;
        }
        pages.Add(start..items.Count);
        return pages;
    }
}
