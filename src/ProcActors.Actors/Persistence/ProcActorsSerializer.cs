using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;

namespace ProcActors.Actors.Persistence;

/// <summary>
/// Writes persisted state as System.Text.Json under stable manifests: renaming or moving a .NET type never breaks
/// a stored snapshot, and no type name ever reaches the database.
/// </summary>
public sealed class ProcActorsSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 7_117;
    public const string SnapshotManifest = "agent-snapshot";

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General);

    public override int Identifier => Id;

    public override string Manifest(object o) =>
        o switch
        {
            AgentSnapshot => SnapshotManifest,
            _ => throw new ArgumentException($"{o.GetType()} is not serialized by {nameof(ProcActorsSerializer)}", nameof(o)),
        };

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Options);

    public override object FromBinary(byte[] bytes, string manifest) =>
        manifest switch
        {
            SnapshotManifest => JsonSerializer.Deserialize<AgentSnapshot>(bytes, Options)
                ?? throw new SerializationException("the stored snapshot is empty"),
            _ => throw new SerializationException($"unknown manifest \"{manifest}\": written by a newer ProcActors?"),
        };
}
