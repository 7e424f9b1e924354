using System.Threading.Channels;
using Akka.Hosting;
using ProcActors.Actors.Pipeline;

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
            .AddAggregatorActor(store, telemetry)
            .AddGroupRouterActor(settings, channel.Reader)
            .AddScannerActor(settings, channel.Writer, telemetry);
    }
}
