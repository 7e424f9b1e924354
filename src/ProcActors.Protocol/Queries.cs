namespace ProcActors.Protocol;

/// <summary>
/// The public Ask protocol of an agent (version 2: binary, fleet queries). A client needs only this assembly. Every reply carries the
/// node it describes and the scan cycle its figures come from.
/// </summary>
public static class ProtocolVersion
{
    public const int Current = 2;
}

/// <summary>
/// All groups of the node with their counters, gauges and last-cycle rates. With the cycle of the answer the asker
/// already has (<see cref="KnownCycle"/>), an agent still on that cycle answers <see cref="Unchanged"/> instead.
/// </summary>
/// <remarks>
/// Paged, like <see cref="GetGroup"/> and <see cref="GetTop"/>: a reply holds at most <see cref="WireSize.PageBytes"/>;
/// page 0 (of the current cycle) says how many pages the answer has, and the others are asked with the cycle page 0
/// named (<c>Cycle</c>). The agent keeps the answers of the cycle before the current one too; a page of a cycle it no
/// longer has is answered with page 0 of the current cycle, and the asker starts again from it.
/// </remarks>
public sealed record GetGroups(long KnownCycle = 0, int Page = 0, long Cycle = 0)
{
    public static readonly GetGroups Instance = new();
}

/// <summary>One group with its member processes (paged as <see cref="GetGroups"/>: a group may have thousands).</summary>
public sealed record GetGroup(string Name, int Page = 0, long Cycle = 0);

/// <summary>The n busiest processes of the node by the given measure (<see cref="Unchanged"/> as for <see cref="GetGroups"/>).</summary>
public sealed record GetTop(int N, TopBy By, long KnownCycle = 0, int Page = 0, long Cycle = 0);

/// <summary>
/// The reply to a query naming the cycle (per-host queries) or fleet view (<see cref="GetFleetGroups"/>) the asker
/// already has an answer of, when the node is still on it: the asker's answer stands. A few bytes instead of every
/// group again, many times a cycle.
/// </summary>
public sealed record Unchanged(string Node, long Version);

public enum TopBy
{
    Cpu,
    Rss,
    Io,
}

/// <summary>How the agent itself is doing: cycles, scan cost, errors.</summary>
public sealed record GetAgentStatus
{
    public static readonly GetAgentStatus Instance = new();
}
