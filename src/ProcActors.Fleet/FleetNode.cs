using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Akka.Hosting.Logging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ProcActors.Actors;

namespace ProcActors.Fleet;

/// <summary>
/// Runs this agent's membership of the fleet in an actor system of its own, apart from the pipeline's. Akka ends an
/// actor system that the cluster downed or removed, and a removed system can never rejoin: so when it ends, this
/// service starts a new one (new uid, same address) that joins the seeds again, while the pipeline, its counters and
/// /metrics carry on in the other system untouched.
/// </summary>
public sealed class FleetNode(FleetOptions options, NodeViewStore nodes, FleetViewStore fleet, ActorRegistry registry, ILoggerFactory loggers)
    : BackgroundService
{
    /// <summary>What a routed query may take: less than the 2 s a fleet answer is promised in.</summary>
    public static readonly TimeSpan RouteTimeout = TimeSpan.FromSeconds(1.5);

    private readonly ILogger _log = loggers.CreateLogger<FleetNode>();
    private volatile ActorSystem? _system;

    /// <summary>Incarnations of the cluster system started so far (1 until a downing).</summary>
    public int Incarnations { get; private set; }

    /// <summary>The cluster system now running, if any (tests and diagnostics).</summary>
    public ActorSystem? System => _system;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var aggregator = await registry.GetAsync<AggregatorActor>(stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            ActorSystem system;
            try
            {
                system = Start(aggregator);
            }
#pragma warning disable CA1031 // Whatever keeps the cluster from starting, monitoring goes on and the start is retried.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _log.LogError("Cannot start the cluster on {Remote} ({Error}); monitoring goes on, retrying in {Delay}", options.Remote, ex.Message, options.RestartBackoff * 5);
                await Delay(options.RestartBackoff * 5, stoppingToken).ConfigureAwait(false);
                continue;
            }
            _system = system;
            await Task.WhenAny(system.WhenTerminated, Task.Delay(Timeout.Infinite, stoppingToken)).ConfigureAwait(false);
            if (stoppingToken.IsCancellationRequested) break;
            _system = null;
            _log.LogWarning("This agent's cluster system ended (downed or removed from the cluster); monitoring goes on, rejoining in {Delay}", options.RestartBackoff);
            await Delay(options.RestartBackoff, stoppingToken).ConfigureAwait(false);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_system is { } system)
        {
            // Leaving gracefully tells the others at once, instead of their waiting for the failure detector.
            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance).ConfigureAwait(false);
        }
    }

    private ActorSystem Start(IActorRef aggregator)
    {
        Incarnations++;
        var setup = FleetConfig.Setup(options, new LoggerFactorySetup(loggers));
        var system = ActorSystem.Create(ClusterEndpoint.SystemName, setup);
        QuietStdout.OnTerminate(system);
        try
        {
            system.ActorOf(FleetViewActor.Props(fleet, options), "fleet-view");
            system.ActorOf(SummaryPublisherActor.Props(nodes, options), "summary-publisher");
            system.ActorOf(GatewayActor.Props(fleet, aggregator, options.NodeName, RouteTimeout, nodes), GatewayActor.Name);
        }
        catch
        {
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
            throw;
        }
        _log.LogInformation("Cluster system #{Incarnation} listening on {Address} as node {Node}, joining {Seeds}", Incarnations,
            Cluster.Get(system).SelfAddress, options.NodeName, options.Seeds.Count == 0 ? "itself (a cluster of one)" : string.Join(", ", options.Seeds));
        return system;
    }

    private static async Task Delay(TimeSpan delay, CancellationToken token)
    {
        try
        {
            await Task.Delay(delay, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
