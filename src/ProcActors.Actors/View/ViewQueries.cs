using ProcActors.Protocol;

namespace ProcActors.Actors.View;

/// <summary>
/// The answers of one node view, each computed at most once: the view changes once per cycle while queries may come
/// thousands of times a second, so a query is a lookup, not a rebuild and sort of every member.
/// </summary>
public sealed class ViewQueries(NodeView view, string version, DateTimeOffset startedAt)
{
    private readonly (string Group, MemberView Member)[]?[] _ranked = new (string, MemberView)[]?[Enum.GetValues<TopBy>().Length];
    private const int MaxTopAnswers = 64;
    private readonly Dictionary<string, GroupResponse> _groupAnswers = new(StringComparer.Ordinal);
    private readonly Dictionary<(TopBy, int), TopResponse> _topAnswers = [];
    private GroupsResponse? _groups;
    private AgentStatusResponse? _status;

    public NodeView View => view;

    public GroupsResponse Groups() => _groups ??= NodeViewQueries.Groups(view);

    public GroupResponse Group(string name)
    {
        if (_groupAnswers.TryGetValue(name, out var answer)) return answer;
        answer = NodeViewQueries.Group(view, name);
        // Names of groups that do not exist are not kept: a client cannot grow this cache.
        if (answer.Group is not null) _groupAnswers[name] = answer;
        return answer;
    }

    public TopResponse Top(int n, TopBy by)
    {
        var ranked = _ranked[(int)by] ??= NodeViewQueries.Rank(view, by);
        var count = Math.Clamp(n, 0, ranked.Length);
        if (_topAnswers.TryGetValue((by, count), out var answer)) return answer;
        answer = NodeViewQueries.Top(view, ranked.AsSpan(0, count), by);
        // Clients ask for a handful of sizes; a client cycling through sizes cannot grow this beyond the bound.
        if (_topAnswers.Count < MaxTopAnswers) _topAnswers[(by, count)] = answer;
        return answer;
    }

    public AgentStatusResponse Status() => _status ??= NodeViewQueries.Status(view, version, startedAt);
}
