using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;

namespace ProcActors.Protocol;

/// <summary>
/// The wire form of the Ask protocol: System.Text.Json under stable, versioned manifests ("procactors.v1.…"), so a
/// client and an agent of different builds understand each other and no .NET type name crosses the wire. Both ends
/// bind it: with Akka.Hosting via <c>WithCustomSerializer("procactors-protocol", ProtocolSerializer.Types, …)</c>,
/// otherwise with <see cref="Hocon"/>.
/// </summary>
public sealed class ProtocolSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 7_118;

    private static readonly Dictionary<Type, string> Manifests = new()
    {
        [typeof(GetGroups)] = "procactors.v1.get-groups",
        [typeof(GetGroup)] = "procactors.v1.get-group",
        [typeof(GetTop)] = "procactors.v1.get-top",
        [typeof(GetAgentStatus)] = "procactors.v1.get-agent-status",
        [typeof(GroupsResponse)] = "procactors.v1.groups",
        [typeof(GroupResponse)] = "procactors.v1.group",
        [typeof(TopResponse)] = "procactors.v1.top",
        [typeof(AgentStatusResponse)] = "procactors.v1.agent-status",
    };

    private static readonly Dictionary<string, Type> TypesByManifest = Manifests.ToDictionary(m => m.Value, m => m.Key, StringComparer.Ordinal);

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

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

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType()} is not part of the ProcActors protocol", nameof(o));

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Options);

    public override object FromBinary(byte[] bytes, string manifest) =>
        TypesByManifest.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, Options) ?? throw new SerializationException($"empty {manifest}")
            : throw new SerializationException($"unknown manifest \"{manifest}\": a newer protocol version than {ProtocolVersion.Current}?");
}
