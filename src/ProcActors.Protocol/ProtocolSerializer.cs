using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;

namespace ProcActors.Protocol;

/// <summary>
/// The wire form of the protocol: compact MessagePack (see <see cref="WireFormat"/>) under stable, versioned manifests
/// ("procactors.v2.…"), so a client and an agent of different builds understand each other and no .NET type name
/// crosses the wire. The JSON manifests of version 1 are refused by name, never misread. Both ends bind it: with
/// Akka.Hosting via <c>WithCustomSerializer("procactors-protocol", ProtocolSerializer.Types, …)</c>, otherwise with
/// <see cref="Hocon"/>.
/// </summary>
public sealed class ProtocolSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 7_118;

    private const string Prefix = "procactors.v2.";

    private static readonly Dictionary<Type, string> Manifests = new()
    {
        [typeof(GetGroups)] = Prefix + "get-groups",
        [typeof(GetGroup)] = Prefix + "get-group",
        [typeof(GetTop)] = Prefix + "get-top",
        [typeof(GetAgentStatus)] = Prefix + "get-agent-status",
        [typeof(GroupsResponse)] = Prefix + "groups",
        [typeof(GroupResponse)] = Prefix + "group",
        [typeof(TopResponse)] = Prefix + "top",
        [typeof(AgentStatusResponse)] = Prefix + "agent-status",
        [typeof(GetNodes)] = Prefix + "get-nodes",
        [typeof(GetFleetGroups)] = Prefix + "get-fleet-groups",
        [typeof(GetFleetTop)] = Prefix + "get-fleet-top",
        [typeof(AskNode)] = Prefix + "ask-node",
        [typeof(NodeSummary)] = Prefix + "node-summary",
        [typeof(NodesResponse)] = Prefix + "nodes",
        [typeof(FleetGroupsResponse)] = Prefix + "fleet-groups",
        [typeof(FleetTopResponse)] = Prefix + "fleet-top",
        [typeof(NodeUnavailable)] = Prefix + "node-unavailable",
        [typeof(Unchanged)] = Prefix + "unchanged",
    };

    private static readonly Dictionary<string, Type> TypesByManifest = Manifests.ToDictionary(m => m.Value, m => m.Key, StringComparer.Ordinal);

    public static IReadOnlyCollection<Type> Types => Manifests.Keys;

    /// <summary>The same binding as HOCON, for actor systems not built with Akka.Hosting.</summary>
    public static string Hocon
    {
        get
        {
            var bindings = string.Join('\n', Types.Select(t => $"    \"{t.FullName}, {t.Assembly.GetName().Name}\" = procactors-protocol"));
            return $$"""
                akka.actor {
                  serializers.procactors-protocol = "{{typeof(ProtocolSerializer).FullName}}, {{typeof(ProtocolSerializer).Assembly.GetName().Name}}"
                  serialization-bindings {
                {{bindings}}
                  }
                }
                """;
        }
    }

    public override int Identifier => Id;

    public override string Manifest(object o) => ManifestOf(o);

    internal static string ManifestOf(object o) =>
        Manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType()} is not part of the ProcActors protocol", nameof(o));

    /// <summary>
    /// Replies are cached per view by their askers (the aggregator per cycle, the fleet view per summary), so the same
    /// reply object is sent again and again until the view changes: its bytes are written once and reused for as long
    /// as the object lives. Keyed by reference, so a new view's reply is always written afresh.
    /// </summary>
    private static readonly ConditionalWeakTable<object, byte[]> Written = new();

    public override byte[] ToBinary(object obj) =>
        obj is GroupsResponse or TopResponse or GroupResponse or AgentStatusResponse or NodesResponse or FleetGroupsResponse
            ? Written.GetValue(obj, static reply => WireFormat.Write(reply))
            : WireFormat.Write(obj);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        // A client asking again within one cycle receives the same bytes: comparing them is far cheaper than reading
        // a hundred groups again, and the records are immutable, so the previous reply is returned as it is.
        if (bytes.Length < RememberFrom) return Deserialize(bytes, manifest);
        if (_lastRead.TryGetValue(manifest, out var last) && last.Bytes.AsSpan().SequenceEqual(bytes)) return last.Message;
        var message = Deserialize(bytes, manifest);
        _lastRead[manifest] = new LastRead(bytes, message);
        return message;
    }

    /// <summary>Replies smaller than this are read every time: comparing would save little.</summary>
    private const int RememberFrom = 2_048;

    /// <summary>The last big reply read per manifest (a few entries: one per reply type).</summary>
    private readonly ConcurrentDictionary<string, LastRead> _lastRead = new(StringComparer.Ordinal);

    private sealed record LastRead(byte[] Bytes, object Message);

    internal static object Deserialize(byte[] bytes, string manifest)
    {
        if (!TypesByManifest.TryGetValue(manifest, out var type))
        {
            throw new SerializationException(manifest.StartsWith("procactors.v1.", StringComparison.Ordinal)
                ? $"\"{manifest}\" is the JSON protocol of version 1, which this build no longer reads: both ends must speak {Prefix}* (upgrade the older one)"
                : $"unknown manifest \"{manifest}\": this build speaks protocol version {ProtocolVersion.Current} ({Prefix}*)");
        }
        try
        {
            return WireFormat.Read(type, bytes);
        }
        catch (Exception ex) when (ex is MessagePack.MessagePackSerializationException or EndOfStreamException or InvalidOperationException or OverflowException)
        {
            throw new SerializationException($"malformed {manifest} ({bytes.Length} bytes): {ex.Message}", ex);
        }
    }
}
