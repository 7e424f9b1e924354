using System.Globalization;

namespace ProcActors.Fleet;

/// <summary>A TCP endpoint of the cluster: where this agent listens or a seed it joins.</summary>
public sealed record ClusterEndpoint(string Host, int Port)
{
    /// <summary>The name every agent's actor system has: part of every Akka address of the fleet.</summary>
    public const string SystemName = "procactors";

    public string AkkaAddress => Address(tls: false);

    /// <summary>With TLS the transport's scheme is akka.ssl.tcp: a seed must be named with it.</summary>
    public string Address(bool tls) => $"akka{(tls ? ".ssl" : "")}.tcp://{SystemName}@{Host}:{Port}";

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>HOST:PORT, [IPv6]:PORT, or a plain akka.tcp://procactors@HOST:PORT (or akka.ssl.tcp://…) address.</summary>
    public static ClusterEndpoint Parse(string text)
    {
        var value = text.Trim();
        var scheme = $"akka.tcp://{SystemName}@";
        if (value.StartsWith("akka.ssl.tcp://", StringComparison.Ordinal)) value = "akka.tcp://" + value["akka.ssl.tcp://".Length..];
        if (value.StartsWith("akka.tcp://", StringComparison.Ordinal))
        {
            if (!value.StartsWith(scheme, StringComparison.Ordinal))
                throw new FormatException($"\"{text}\": the agents' actor system is named \"{SystemName}\" ({scheme}HOST:PORT)");
            value = value[scheme.Length..].TrimEnd('/');
        }
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1) throw new FormatException($"\"{text}\" is not HOST:PORT");
        var host = value[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        if (!int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new FormatException($"\"{text}\": the port must be a number from 1 to 65535");
        return new ClusterEndpoint(host, port);
    }

    public static IReadOnlyList<ClusterEndpoint> ParseList(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse)];
}

/// <summary>How this agent takes part in the fleet: bound by the host from --remote, --remote-public, --seed-nodes, --node-name.</summary>
public sealed record FleetOptions
{
    public static readonly ClusterEndpoint DefaultRemote = new("127.0.0.1", 4053);

    /// <summary>Where the cluster listens; loopback by default so that nothing is reachable from outside unless asked.</summary>
    public ClusterEndpoint Remote { get; init; } = DefaultRemote;

    /// <summary>The host name other nodes reach this one by (NAT, containers); null: the listening host.</summary>
    public string? PublicHost { get; init; }

    /// <summary>No seeds: a cluster of one, still listening so that the CLI and clients on the host can ask it.</summary>
    public IReadOnlyList<ClusterEndpoint> Seeds { get; init; } = [];

    public required string NodeName { get; init; }

    /// <summary>Time after which a node unreachable for good is downed by the split-brain resolver.</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a node that left stays listed as left.</summary>
    public TimeSpan LeftRetention { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long to wait before a downed (terminated) cluster system is started again.</summary>
    public TimeSpan RestartBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Processes by each measure in a node's summary: the depth of fleet-wide top.</summary>
    public int SummaryTop { get; init; } = 20;

    /// <summary>TLS between agents (--remote-tls-cert): null, plain TCP (loopback by default).</summary>
    public ProcActors.Protocol.RemoteTls? Tls { get; init; }

    /// <summary>
    /// What carries plain TCP (--remote-transport): the direct transport (fewer thread hand-offs per message, see
    /// <see cref="ProcActors.Protocol.DirectTcpTransport"/>) or Akka's DotNetty one. TLS always goes through DotNetty's.
    /// </summary>
    public RemoteTransport Transport { get; init; } = RemoteTransport.Direct;

    public ClusterEndpoint Advertised => PublicHost is null ? Remote : Remote with { Host = PublicHost };
}

/// <summary>The transport of plain-TCP remoting; both speak the same frames, so nodes with either talk to each other.</summary>
public enum RemoteTransport
{
    Direct,
    DotNetty,
}

/// <summary>The roles every agent has: "agent" and its node name, so that membership events name the host.</summary>
public static class FleetRoles
{
    public const string Agent = "agent";
    public const string NodePrefix = "node:";

    public static string? NodeName(IEnumerable<string> roles) =>
        roles.FirstOrDefault(r => r.StartsWith(NodePrefix, StringComparison.Ordinal))?[NodePrefix.Length..];
}
