using System.Threading.Channels;
using Akka.Hosting;
using ProcActors.Actors.Persistence;
using ProcActors.Actors.Pipeline;
using ProcActors.Protocol;

namespace ProcActors.Actors;

/// <summary>Composes the whole pipeline: aggregator, router with its stream, scanner, joined by one bounded channel.</summary>
public static class AgentHosting
{
    public static AkkaConfigurationBuilder ConfigureProcActors(
        this AkkaConfigurationBuilder builder, AgentSettings settings, NodeViewStore store, IAgentTelemetry telemetry)
    {
        var channel = Channel.CreateBounded<ScanBatch>(new BoundedChannelOptions(settings.ChannelCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        return builder
            .WithActors((system, _) => QuietStdout.OnTerminate(system))
            .WithCustomSerializer("procactors", [typeof(AgentSnapshot)], system => new ProcActorsSerializer(system))
            .WithCustomSerializer("procactors-protocol", ProtocolSerializer.Types, system => new ProtocolSerializer(system))
            .AddAggregatorActor(store, telemetry, settings.Snapshots)
            .AddGroupRouterActor(settings, channel.Reader, store)
            .AddExitSourceActor(settings.Exits)
            .AddScannerActor(settings, channel.Writer, telemetry);
    }
}
