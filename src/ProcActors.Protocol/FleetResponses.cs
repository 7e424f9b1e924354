namespace ProcActors.Protocol;

/// <summary>Membership as the asked node sees it: Left stays listed for a while so that a lost host is noticed.</summary>
public enum NodeStatus
{
    Joining,
    Up,
    Unreachable,
    Left,
}

/// <summary>A host of the fleet; Cycle, LastCycleAt and Processes come from its last summary (0/null before one).</summary>
public sealed record NodeInfo(
    string Name,
    string Address,
    NodeStatus Status,
    long Cycle,
    DateTimeOffset? LastCycleAt,
    int Processes,
    string Version);

public sealed record NodesResponse(string AnsweredBy, IReadOnlyList<NodeInfo> Nodes);

/// <summary>A group of one host, with the host's status when the answer was made (figures of an unreachable host are its last).</summary>
public sealed record NodeGroup(string Node, NodeStatus Status, GroupSummary Group);

/// <summary>
/// Merged sums counters, gauges and rates across hosts; WorstFdRatio is the worst, OldestStartTime the oldest. A big
/// fleet's answer comes in pages (rows first, then the merged groups) so that no message nears the transport's frame
/// size: this is page <see cref="Page"/> of <see cref="Pages"/> of the fleet view <see cref="View"/>, which the
/// asked node keeps while its pages are being fetched. <c>ProcActorsClient.GetFleetGroupsAsync</c> fetches and joins them.
/// </summary>
public sealed record FleetGroupsResponse(string AnsweredBy, IReadOnlyList<NodeGroup> Groups, IReadOnlyList<GroupSummary> Merged, int Page = 0, int Pages = 1, long View = 0);

public sealed record NodeProcess(string Node, ProcessSummary Process);

public sealed record FleetTopResponse(string AnsweredBy, TopBy By, IReadOnlyList<NodeProcess> Processes);

/// <summary>The reply to <see cref="AskNode"/> when the host is unknown, unreachable, gone, or did not answer in time.</summary>
public sealed record NodeUnavailable(string Node, string Reason);
