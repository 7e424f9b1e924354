using ProcActors.Protocol;

namespace ProcActors.Actors.View;

/// <summary>
/// The answers of one node view, each computed at most once: the view changes once per cycle while queries may come
/// thousands of times a second, so a query is a lookup, not a rebuild and sort of every member. Each answer is cut
/// once into pages of at most <see cref="WireSize.PageBytes"/> (see <see cref="GetGroups"/>); a small answer is one page.
/// </summary>
public sealed class ViewQueries(NodeView view, string version, DateTimeOffset startedAt)
{
    private readonly (string Group, MemberView Member)[]?[] _ranked = new (string, MemberView)[]?[Enum.GetValues<TopBy>().Length];
    private const int MaxTopAnswers = 64;
    private readonly Dictionary<string, GroupResponse[]> _groupAnswers = new(StringComparer.Ordinal);
    private readonly Dictionary<(TopBy, int), TopResponse[]> _topAnswers = [];
    private GroupsResponse[]? _groups;
    private AgentStatusResponse? _status;

    public NodeView View => view;

    public long Cycle => view.Cycle;

    public GroupsResponse Groups(int page = 0)
    {
        var pages = _groups ??= Cut(NodeViewQueries.Groups(view), a => a.Groups, WireSize.Bound, Header(view.Node),
            static (a, items, i, n) => a with { Groups = items, Page = i, Pages = n });
        return pages[Math.Clamp(page, 0, pages.Length - 1)];
    }

    public GroupResponse Group(string name, int page = 0)
    {
        if (!_groupAnswers.TryGetValue(name, out var pages))
        {
            var answer = NodeViewQueries.Group(view, name);
            var header = Header(view.Node) + (answer.Group is { } group ? WireSize.Bound(group) : 0);
            pages = Cut(answer, a => a.Members, WireSize.Bound, header, static (a, items, i, n) => a with { Members = items, Page = i, Pages = n });
            // Names of groups that do not exist are not kept: a client cannot grow this cache.
            if (answer.Group is not null) _groupAnswers[name] = pages;
        }
        return pages[Math.Clamp(page, 0, pages.Length - 1)];
    }

    public TopResponse Top(int n, TopBy by, int page = 0)
    {
        var ranked = _ranked[(int)by] ??= NodeViewQueries.Rank(view, by);
        var count = Math.Clamp(n, 0, ranked.Length);
        if (!_topAnswers.TryGetValue((by, count), out var pages))
        {
            pages = Cut(NodeViewQueries.Top(view, ranked.AsSpan(0, count), by), a => a.Processes, WireSize.Bound, Header(view.Node),
                static (a, items, i, n) => a with { Processes = items, Page = i, Pages = n });
            // Clients ask for a handful of sizes; a client cycling through sizes cannot grow this beyond the bound.
            if (_topAnswers.Count < MaxTopAnswers) _topAnswers[(by, count)] = pages;
        }
        return pages[Math.Clamp(page, 0, pages.Length - 1)];
    }

    public AgentStatusResponse Status() => _status ??= NodeViewQueries.Status(view, version, startedAt);

    private static int Header(string node) => WireSize.ReplyFixedBytes + WireSize.Text(node);

    private static TAnswer[] Cut<TAnswer, TItem>(TAnswer whole, Func<TAnswer, IReadOnlyList<TItem>> itemsOf, Func<TItem, int> bound, int header,
        Func<TAnswer, TItem[], int, int, TAnswer> page)
    {
        var items = itemsOf(whole);
        var ranges = WireSize.Cut(items, bound, header);
        if (ranges.Count == 1) return [whole];
        var all = items as TItem[] ?? [.. items];
        var pages = new TAnswer[ranges.Count];
        for (var i = 0; i < pages.Length; i++) pages[i] = page(whole, all[ranges[i]], i, pages.Length);
        return pages;
    }
}
