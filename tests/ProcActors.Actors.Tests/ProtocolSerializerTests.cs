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
            new StateCounts(1, 2, 0, 0, 0), 50, 1.5, 2.5);

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
        new AgentStatusResponse("node", "0.1.0", DateTimeOffset.FromUnixTimeSeconds(1_800_000_000), 7, TimeSpan.FromMilliseconds(12),
            TimeSpan.FromMilliseconds(15), 300, 120, 9, 1, 2, 3, 4, 5, 6),
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_protocol_message_round_trips_under_a_stable_manifest(object message)
    {
        var serializer = new ProtocolSerializer((ExtendedActorSystem)_system);
        var manifest = serializer.Manifest(message);
        var back = serializer.FromBinary(serializer.ToBinary(message), manifest);

        Assert.StartsWith("procactors.v1.", manifest, StringComparison.Ordinal);
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
        var error = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "procactors.v2.get-groups"));
        Assert.Contains("procactors.v2.get-groups", error.Message, StringComparison.Ordinal);
    }
}
