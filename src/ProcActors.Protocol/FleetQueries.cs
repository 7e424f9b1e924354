namespace ProcActors.Protocol;

/// <summary>Every host of the fleet as the asked node knows it: name, address, membership status, last cycle.</summary>
public sealed record GetNodes
{
    public static readonly GetNodes Instance = new();
}

/// <summary>
/// Every group of every host (each row with its host), plus the groups merged across hosts, one page at a time:
/// page 0 of the current view, then the other pages of the view that page 0 named (see <see cref="FleetGroupsResponse"/>).
/// With <see cref="KnownView"/>, the view of the answer the asker already has, a node still on that view answers
/// <see cref="Unchanged"/> instead of page 0.
/// </summary>
public sealed record GetFleetGroups(int Page = 0, long View = 0, long KnownView = 0)
{
    public static readonly GetFleetGroups Instance = new();
}

/// <summary>The n busiest processes of the whole fleet by the given measure.</summary>
public sealed record GetFleetTop(int N, TopBy By);

/// <summary>
/// A per-host query (<see cref="GetGroups"/>, <see cref="GetGroup"/>, <see cref="GetTop"/>, <see cref="GetAgentStatus"/>)
/// routed by the asked node to the named host. The reply is the query's own reply, or <see cref="NodeUnavailable"/>.
/// </summary>
public sealed record AskNode(string Node, object Query)
{
    public static bool IsNodeQuery(object query) => query is GetGroups or GetGroup or GetTop or GetAgentStatus;
}

/// <summary>What one host publishes to the fleet once per cycle: compact, so that it stays cheap per host.</summary>
public sealed record NodeSummary(
    string Node,
    string Address,
    string Version,
    long Cycle,
    DateTimeOffset? UpdatedAt,
    int Processes,
    IReadOnlyList<GroupSummary> Groups,
    IReadOnlyList<ProcessSummary> Top);
