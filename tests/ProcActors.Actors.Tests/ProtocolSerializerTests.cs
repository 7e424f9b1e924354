using Akka.Actor;
using ProcActors.Protocol;

namespace ProcActors.Actors.Tests;

public sealed class ProtocolSerializerTests : IAsyncDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("protocol-serializer-tests");

    public async ValueTask DisposeAsync() => await _system.Terminate();

    private static readonly ProcessSummary Process =
        new(42, "web", "nginx", ["nginx", "-g", "daemon off;"], DateTimeOffset.FromUnixTimeSeconds(1_800_000_000), 12.5, 4096, 100);

    private static readonly GroupSummary Group =
        new("web", 2, 1.5, 0.5, 10, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0.25, DateTimeOffset.FromUnixTimeSeconds(1_800_000_000), 3,
            new StateCounts(1, 2, 0, 0, 0), 50, 1.5, 2.5, ExitedUnseen: 1_500, ExitedUnseenCpuSeconds: 8.25);

    public static TheoryData<object> Messages() =>
    [
        GetGroups.Instance,
        new GetGroup("web"),
        new GetTop(5, TopBy.Rss),
        GetAgentStatus.Instance,
        new GroupsResponse("node", 7, DateTimeOffset.FromUnixTimeSeconds(1_800_000_100), [Group]),
        new GroupResponse("node", 7, Group, [Process]),
        new GroupResponse("node", 7, null, []),
        new TopResponse("node", 7, TopBy.Cpu, [Process]),
        new GetGroups(KnownCycle: 0, Page: 2, Cycle: 9),
        new GetGroup("web", Page: 3, Cycle: 9),
        new GetTop(500, TopBy.Io, KnownCycle: 0, Page: 1, Cycle: 9),
        new GroupsResponse("node", 9, null, [Group], Page: 1, Pages: 3),
        new GroupResponse("node", 9, Group, [Process], Page: 2, Pages: 3),
        new TopResponse("node", 9, TopBy.Io, [Process], Page: 1, Pages: 2),
        new AgentStatusResponse("node", "0.1.0", DateTimeOffset.FromUnixTimeSeconds(1_800_000_000), 7, TimeSpan.FromMilliseconds(12),
            TimeSpan.FromMilliseconds(15), 300, 120, 9, 1, 2, 3, 4, 5, 6),
        GetNodes.Instance,
        GetFleetGroups.Instance,
        new GetFleetTop(3, TopBy.Io),
        new AskNode("web-01", new GetGroup("web")),
        new AskNode("web-01", GetAgentStatus.Instance),
        new NodeSummary("web-01", "akka.tcp://procactors@10.0.0.1:4053", "0.1.0", 7, DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_123), 120, [Group], [Process]),
        new NodesResponse("web-01", [new NodeInfo("web-01", "akka.tcp://procactors@10.0.0.1:4053", NodeStatus.Unreachable, 7, null, 120, "0.1.0")]),
        new FleetGroupsResponse("web-01", [new NodeGroup("web-02", NodeStatus.Up, Group)], [Group]),
        new FleetTopResponse("web-01", TopBy.Rss, [new NodeProcess("web-02", Process)]),
        new NodeUnavailable("web-03", "unreachable since 2026-11-30 12:00:00Z"),
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_protocol_message_round_trips_under_a_stable_manifest(object message)
    {
        var serializer = new ProtocolSerializer((ExtendedActorSystem)_system);
        var manifest = serializer.Manifest(message);
        var back = serializer.FromBinary(serializer.ToBinary(message), manifest);

        Assert.StartsWith("procactors.v2.", manifest, StringComparison.Ordinal);
        Assert.DoesNotContain("ProcActors", manifest, StringComparison.Ordinal);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(message, message.GetType()), System.Text.Json.JsonSerializer.Serialize(back, back.GetType()));
        Assert.Equal(message.GetType(), back.GetType());
    }

    [Fact]
    public void The_actor_system_binds_it_for_the_protocol_when_configured_with_its_hocon()
    {
        using var system = ActorSystem.Create("bound", Akka.Configuration.ConfigurationFactory.ParseString(ProtocolSerializer.Hocon));
        var serialization = system.Serialization;
        Assert.IsType<ProtocolSerializer>(serialization.FindSerializerFor(new GroupsResponse("n", 1, null, [])));
        Assert.IsType<ProtocolSerializer>(serialization.FindSerializerFor(GetGroups.Instance));
    }

    [Fact]
    public void An_unknown_manifest_is_refused_with_a_clear_error()
    {
        var serializer = new ProtocolSerializer((ExtendedActorSystem)_system);
        var error = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([0x90], "procactors.v3.get-groups"));
        Assert.Contains("procactors.v3.get-groups", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_1_json_message_is_refused_by_name_never_misread()
    {
        var serializer = new ProtocolSerializer((ExtendedActorSystem)_system);
        var error = Assert.Throws<System.Runtime.Serialization.SerializationException>(() =>
            serializer.FromBinary("""{"node":"n","cycle":1,"groups":[]}"""u8.ToArray(), "procactors.v1.groups"));
        Assert.Contains("version 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("procactors.v1.groups", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_or_foreign_bytes_under_a_known_manifest_are_a_serialization_error()
    {
        var serializer = new ProtocolSerializer((ExtendedActorSystem)_system);
        var bytes = serializer.ToBinary(new GroupsResponse("node", 7, null, [Group]));
        foreach (var cut in new[] { 1, bytes.Length / 2, bytes.Length - 1 })
            Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes[..cut], "procactors.v2.groups"));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "procactors.v2.groups"));
    }

    [Fact]
    public void A_newer_writer_s_trailing_fields_are_skipped()
    {
        var serializer = new ProtocolSerializer((ExtendedActorSystem)_system);
        var bytes = serializer.ToBinary(new GetGroup("web", 1, 9));
        // A fixarray header (0x90 + count) one longer, with an extra integer field appended.
        Assert.Equal(0x93, bytes[0]);
        var extended = new byte[] { 0x94 }.Concat(bytes[1..]).Append((byte)0x2a).ToArray();
        Assert.Equal(new GetGroup("web", 1, 9), serializer.FromBinary(extended, "procactors.v2.get-group"));
    }

    [Fact]
    public void Messages_of_writers_from_before_paging_read_as_the_whole_answer()
    {
        var serializer = new ProtocolSerializer((ExtendedActorSystem)_system);
        Assert.Equal(new GetGroup("web"), serializer.FromBinary(Pack((ref MessagePack.MessagePackWriter w) => { w.WriteArrayHeader(1); w.Write("web"); }), "procactors.v2.get-group"));
        Assert.Equal(new GetTop(5, TopBy.Rss, 7), serializer.FromBinary(Pack((ref MessagePack.MessagePackWriter w) => { w.WriteArrayHeader(3); w.Write(5); w.Write(1); w.Write(7L); }), "procactors.v2.get-top"));
        Assert.Equal(new GetGroups(7), serializer.FromBinary(Pack((ref MessagePack.MessagePackWriter w) => { w.WriteArrayHeader(1); w.Write(7L); }), "procactors.v2.get-groups"));
        var groups = (GroupsResponse)serializer.FromBinary(Pack((ref MessagePack.MessagePackWriter w) => { w.WriteArrayHeader(4); w.Write("node"); w.Write(7L); w.WriteNil(); w.WriteArrayHeader(0); }),
            "procactors.v2.groups");
        Assert.Equal((0, 1), (groups.Page, groups.Pages));
    }

    private delegate void PackWriter(ref MessagePack.MessagePackWriter writer);

    private static byte[] Pack(PackWriter write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePack.MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void The_binary_form_is_smaller_than_json()
    {
        var serializer = new ProtocolSerializer((ExtendedActorSystem)_system);
        var message = new GroupsResponse("node", 7, DateTimeOffset.UnixEpoch, [.. Enumerable.Repeat(Group, 50)]);
        Assert.True(serializer.ToBinary(message).Length * 2 < System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(message).Length);
    }
}
