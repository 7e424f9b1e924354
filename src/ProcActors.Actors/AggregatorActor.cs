using Akka.Actor;
using Akka.Hosting;
using ProcActors.Actors.View;
using ProcActors.Protocol;

namespace ProcActors.Actors;

/// <summary>
/// Merges the group reports of each cycle into the node view, publishes it for /metrics, and answers the Ask
/// protocol from it.
/// </summary>
public sealed class AggregatorActor : ReceiveActor
{
    private readonly CycleAssembler _assembler;
    private readonly NodeViewStore _store;
    private readonly IAgentTelemetry _telemetry;
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;

    public AggregatorActor(NodeViewStore store, IAgentTelemetry telemetry)
    {
        _store = store;
        _telemetry = telemetry;
        _assembler = new CycleAssembler(store.Current);

        Receive<GroupReport>(report => Publish(_assembler.Add(report)));
        Receive<CycleClosed>(closed => Publish(_assembler.Close(closed)));
        Receive<GetGroups>(_ => Sender.Tell(NodeViewQueries.Groups(_assembler.Current)));
        Receive<GetGroup>(query => Sender.Tell(NodeViewQueries.Group(_assembler.Current, query.Name)));
        Receive<GetTop>(query => Sender.Tell(NodeViewQueries.Top(_assembler.Current, query.N, query.By)));
        Receive<GetAgentStatus>(_ => Sender.Tell(NodeViewQueries.Status(_assembler.Current, AgentVersion.Current, _startedAt)));
    }

    public static Props Props(NodeViewStore store, IAgentTelemetry telemetry) =>
        Akka.Actor.Props.Create(() => new AggregatorActor(store, telemetry));

    private void Publish(NodeView? view)
    {
        if (view is null || _assembler.CurrentEnd is not { } end) return;
        var latency = System.Diagnostics.Stopwatch.GetElapsedTime(end.ScanStartTimestamp);
        var published = view with { Counters = view.Counters with { LastUpdateLatency = latency } };
        _telemetry.ViewUpdated(latency);
        _store.Publish(published);
    }
}

public static class AgentVersion
{
    public static string Current { get; } =
        typeof(AgentVersion).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}

public static class AggregatorActorHostingExtensions
{
    public static AkkaConfigurationBuilder AddAggregatorActor(this AkkaConfigurationBuilder builder, NodeViewStore store, IAgentTelemetry telemetry) =>
        builder.WithActors((system, registry) =>
            registry.Register<AggregatorActor>(system.ActorOf(AggregatorActor.Props(store, telemetry), "aggregator")));
}
