using Akka.Actor;
using Akka.Configuration;
using ProcActors.LoadTests.Runner;
using ProcActors.Protocol;

namespace ProcActors.LoadTests.Scenarios;

/// <summary>
/// ask-local and ask-remote: the Ask API of the aggregator under an open-model load, the invocations alternating
/// between the steps GetGroups and GetTop(n, Cpu). The agent meanwhile scans its in-memory table on its own
/// interval, as in production, so the view the queries read is replaced every few seconds. ask-remote asks from a
/// second ActorSystem in this process over Akka.Remote (DotNetty TCP, 127.0.0.1), both ends binding the
/// protocol's own <see cref="ProtocolSerializer"/> (System.Text.Json under stable manifests).
/// </summary>
public static class AskScenarios
{
    public const string Remoting = """
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp {
          hostname = 127.0.0.1
          port = 0
        }
        """;

    public static LoadRunner Build(LoadTestOptions options, bool remote)
    {
        var name = remote ? "ask-remote" : "ask-local";
        var synthetic = UpdateLatencyScenario.Synthetic(options);
        var target = options.P99TargetMs ?? (remote ? 5 : 1);
        var rate = remote ? 5_000 : 10_000;
        PipelineHost? host = null;
        ActorSystem? client = null;
        IActorRef aggregator = ActorRefs.Nobody;
        var timeout = TimeSpan.FromSeconds(5);
        var sizes = (Groups: 0L, Top: 0L);

        var remoting = Remoting + "\n" + ProtocolSerializer.Hocon;
        var scenario = Scenario.Create(name, async context =>
            {
                var ct = context.CancellationToken;
                if (context.InvocationNumber % 2 == 1)
                {
                    return await Step.Run("GetGroups", context, async () =>
                    {
                        var groups = await aggregator.Ask<GroupsResponse>(GetGroups.Instance, timeout, ct).ConfigureAwait(false);
                        return groups.Groups.Count == synthetic.Groups
                            ? Response.Ok("GroupsResponse", sizes.Groups)
                            : Response.Fail("incomplete", $"{groups.Groups.Count} groups instead of {synthetic.Groups}");
                    }).ConfigureAwait(false);
                }
                return await Step.Run("GetTop", context, async () =>
                {
                    var top = await aggregator.Ask<TopResponse>(new GetTop(options.Top, TopBy.Cpu), timeout, ct).ConfigureAwait(false);
                    return top.Processes.Count == Math.Min(options.Top, synthetic.Processes)
                        ? Response.Ok("TopResponse", sizes.Top)
                        : Response.Fail("incomplete", $"{top.Processes.Count} processes instead of {options.Top}");
                }).ConfigureAwait(false);
            })
            .WithInit(async context =>
            {
                host = await PipelineHost.StartAsync(synthetic, options.ScanInterval, remote ? remoting : null, context.CancellationToken).ConfigureAwait(false);
                // Two scans: groups, members and the rates over an interval are all in the view before the first query.
                await host.WarmAsync(2, context.CancellationToken).ConfigureAwait(false);
                // What a reply weighs as System.Text.Json (what ask-remote sends): the reports' data transfer.
                var groups = await host.Aggregator.Ask<GroupsResponse>(GetGroups.Instance, timeout, context.CancellationToken).ConfigureAwait(false);
                var top = await host.Aggregator.Ask<TopResponse>(new GetTop(options.Top, TopBy.Cpu), timeout, context.CancellationToken).ConfigureAwait(false);
                sizes = (System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(groups).Length, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(top).Length);
                context.Metrics.Set("GroupsResponse as JSON", sizes.Groups, "B");
                context.Metrics.Set("TopResponse as JSON", sizes.Top, "B");
                if (options.Echo)
                {
                    // Calibration: the same asks answered at once with the replies cached above, by an actor of the
                    // agent's system. What is left is the cost of Ask, the transport and this load generator.
                    var echo = host.System.ActorOf(Props.Create(() => new EchoActor(groups, top)), "echo");
                    if (!remote)
                    {
                        aggregator = echo;
                        return;
                    }
                }
                else if (!remote)
                {
                    aggregator = host.Aggregator;
                    return;
                }
                client = ActorSystem.Create("client", ConfigurationFactory.ParseString(remoting + "\nakka.loglevel = WARNING"));
                var path = new RootActorPath(host.Address) / "user" / (options.Echo ? "echo" : "aggregator");
                aggregator = await client.ActorSelection(path).ResolveOne(TimeSpan.FromSeconds(10), context.CancellationToken).ConfigureAwait(false);
                context.Logger.WriteLine($"[{name}] asking {path} from {((ExtendedActorSystem)client).Provider.DefaultAddress}");
            })
            .WithClean(async _ =>
            {
                if (client is not null) await client.Terminate().ConfigureAwait(false);
                if (host is not null) await host.DisposeAsync().ConfigureAwait(false);
            })
            .WithWarmUpDuration(options.WarmUp ?? TimeSpan.FromSeconds(5))
            .WithLoadSimulations(Cli.Load(options, rate, TimeSpan.FromSeconds(30)))
            .WithThresholds(
                Threshold.Create($"p99 latency <= {Format.Num(target)} ms", s => s.Ok.Request.Count > 0 && s.Ok.Latency.Percent99 <= target, s => s.Ok.Request.Count > 0 ? $"{Format.Num(s.Ok.Latency.Percent99)} ms" : "no ok response"),
                Threshold.Create("no failed request", s => s.Fail.Request.Count == 0 && s.Ok.Request.Count > 0, s => $"{s.Fail.Request.Count} failed of {s.AllRequestCount}"));

        return LoadRunner.RegisterScenarios(scenario)
            .WithTestName(name)
            .WithNote("table", UpdateLatencyScenario.Describe(synthetic) + $", scanned every {Format.Span(options.ScanInterval)} meanwhile")
            .WithNote("requests", $"odd invocations GetGroups (all {synthetic.Groups} groups), even ones GetTop({options.Top}, Cpu) over all members; Ask timeout {timeout.TotalSeconds:0} s")
            .WithNote("answered by", options.Echo ? "an echo actor replying with cached replies (calibration: Ask, transport and load generator only)" : "the AggregatorActor")
            .WithNote("transport", remote
                ? "Akka.Remote, DotNetty TCP over 127.0.0.1 between two ActorSystems in this process; the protocol's ProtocolSerializer (System.Text.Json, stable manifests)"
                : "in process: Ask from thread-pool threads, no serialization");
    }

    /// <summary>Answers GetGroups and GetTop with fixed replies: the floor of what an ask costs here.</summary>
    private sealed class EchoActor : ReceiveActor
    {
        public EchoActor(GroupsResponse groups, TopResponse top)
        {
            Receive<GetGroups>(_ => Sender.Tell(groups));
            Receive<GetTop>(_ => Sender.Tell(top));
        }
    }
}
