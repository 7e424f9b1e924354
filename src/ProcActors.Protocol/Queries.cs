namespace ProcActors.Protocol;

/// <summary>
/// The public Ask protocol of an agent (version 2: binary, fleet queries). A client needs only this assembly. Every reply carries the
/// node it describes and the scan cycle its figures come from.
/// </summary>
public static class ProtocolVersion
{
    public const int Current = 2;
}

/// <summary>All groups of the node with their counters, gauges and last-cycle rates.</summary>
public sealed record GetGroups
{
    public static readonly GetGroups Instance = new();
}

/// <summary>One group with its member processes.</summary>
public sealed record GetGroup(string Name);

/// <summary>The n busiest processes of the node by the given measure.</summary>
public sealed record GetTop(int N, TopBy By);

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
