using System.Text.Json;
using System.Text.Json.Serialization;
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

    public override int Identifier => Id;

    public override string Manifest(object o) =>
        o switch
        {
            AgentSnapshot => SnapshotManifest,
            _ => throw new ArgumentException($"{o.GetType()} is not serialized by {nameof(ProcActorsSerializer)}", nameof(o)),
        };

    public override byte[] ToBinary(object obj) =>
        obj is AgentSnapshot snapshot
            ? JsonSerializer.SerializeToUtf8Bytes(snapshot, SnapshotJson.Default.AgentSnapshot)
            : throw new ArgumentException($"{obj.GetType()} is not serialized by {nameof(ProcActorsSerializer)}", nameof(obj));

    /// <summary>
    /// A snapshot that cannot be read (damaged, from another version) comes back as <see cref="UnreadableSnapshot"/>
    /// with its bytes, never as an exception: the aggregator sets it aside and loads the one before it.
    /// </summary>
    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest != SnapshotManifest)
            return new UnreadableSnapshot($"unknown manifest \"{manifest}\": written by a newer ProcActors?", bytes);
        try
        {
            return JsonSerializer.Deserialize(bytes, SnapshotJson.Default.AgentSnapshot) switch
            {
                null => new UnreadableSnapshot("the stored snapshot is empty", bytes),
                { Version: AgentSnapshot.CurrentVersion } snapshot => snapshot,
                { } other => new UnreadableSnapshot($"version {other.Version}; this agent reads version {AgentSnapshot.CurrentVersion}", bytes),
            };
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or ArgumentException)
        {
            return new UnreadableSnapshot(ex.Message, bytes);
        }
    }
}

/// <summary>
/// The snapshot's JSON contract, generated at build time (the same JSON as System.Text.Json's reflection with its
/// general defaults, which wrote the snapshots stored before): no reflection at run time, so a natively compiled
/// agent (README, "A native build") saves and reads the same rows.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.General)]
[JsonSerializable(typeof(AgentSnapshot))]
internal sealed partial class SnapshotJson : JsonSerializerContext;

/// <summary>A stored snapshot this agent cannot read: set aside with its bytes, never deleted and never guessed at.</summary>
public sealed record UnreadableSnapshot(string Reason, byte[] Bytes);
