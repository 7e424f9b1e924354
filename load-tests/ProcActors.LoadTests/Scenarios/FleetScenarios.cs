using System.Diagnostics;
using ProcActors.Client;
using ProcActors.LoadTests.Runner;
using ProcActors.Protocol;
using ProcActors.Testing;

namespace ProcActors.LoadTests.Scenarios;

/// <summary>
/// ask-remote: GetGroups and GetTop (alternating) asked of a real agent in another process over Akka.Remote with the
/// typed client (binary protocol), the agent scanning a fixture tree meanwhile (or an agent given by --agent).
/// ask-fleet: GetFleetGroups asked of the first node of a 3-agent cluster this scenario starts on 127.0.0.1, each
/// agent on its own fixture tree; with --kill-one the second agent is kill -9ed halfway through the run.
/// </summary>
public static class FleetScenarios
{
    public static LoadRunner AskRemote(LoadTestOptions options)
    {
        var procs = options.Procs ?? 10_000;
        var target = options.P99TargetMs ?? 5;
        var state = new Fleet(options, 1, procs);
        var scenario = Scenario.Create("ask-remote", async context =>
            {
                var ct = context.CancellationToken;
                if (context.InvocationNumber % 2 == 1)
                {
                    return await Step.Run("GetGroups", context, async () =>
                    {
                        var groups = await state.Client.GetGroupsAsync(cancellationToken: ct).ConfigureAwait(false);
                        return groups.Groups.Count > 0 ? Response.Ok("GroupsResponse") : Response.Fail("empty", "no groups");
                    }).ConfigureAwait(false);
                }
                return await Step.Run("GetTop", context, async () =>
                {
                    var top = await state.Client.GetTopAsync(options.Top, TopBy.Cpu, cancellationToken: ct).ConfigureAwait(false);
                    return top.Processes.Count > 0 ? Response.Ok("TopResponse") : Response.Fail("empty", "no processes");
                }).ConfigureAwait(false);
            })
            .WithInit(context => state.StartAsync(context, options.Agent))
            .WithClean(_ => state.DisposeAsync().AsTask())
            .WithWarmUpDuration(options.WarmUp ?? TimeSpan.FromSeconds(5))
            .WithLoadSimulations(Cli.Load(options, 5_000, TimeSpan.FromSeconds(30)))
            .WithThresholds(
                Threshold.Create($"p99 latency <= {Format.Num(target)} ms", s => s.Ok.Request.Count > 0 && s.Ok.Latency.Percent99 <= target, s => s.Ok.Request.Count > 0 ? $"{Format.Num(s.Ok.Latency.Percent99)} ms" : "no ok response"),
                Threshold.Create("every request answered", s => s.Fail.Request.Count == 0 && s.Ok.Request.Count > 0, s => $"{s.Fail.Request.Count} failed of {s.AllRequestCount}"));
        return LoadRunner.RegisterScenarios(scenario)
            .WithTestName("ask-remote")
            .WithNote("agent", options.Agent is null ? $"the built agent in another process, on a fixture tree of {procs} processes in {options.Groups} groups, scanned every {Format.Span(options.ScanInterval)}" : options.Agent)
            .WithNote("requests", $"odd invocations GetGroups, even ones GetTop({options.Top}, Cpu); client timeout 5 s; the client names the cycle of the answer it has, so within a cycle the agent answers Unchanged and the client returns that answer again")
            .WithNote("transport", "Akka.Remote over the direct TCP transport (the agent's and the client's default), 127.0.0.1 between two processes; ProcActorsClient → the agent's gateway → its aggregator; binary protocol v2 (MessagePack)");
    }

    public static LoadRunner AskFleet(LoadTestOptions options)
    {
        var procs = options.Procs ?? 2_000;
        var target = options.P99TargetMs ?? 20;
        var state = new Fleet(options, 3, procs);
        var killAt = (options.Duration ?? TimeSpan.FromSeconds(30)) / 2;
        var scenario = Scenario.Create("ask-fleet", async context =>
            {
                state.KillMidRun(killAt);
                return await Step.Run("GetFleetGroups", context, async () =>
                {
                    var fleet = await state.Client.GetFleetGroupsAsync(context.CancellationToken).ConfigureAwait(false);
                    var hosts = fleet.Groups.Select(g => g.Node).Distinct().Count();
                    // Once the killed host is downed and removed (failure detector + stable-after, ~15 s) its groups
                    // leave the answer: two hosts are then the right answer.
                    var least = state.Killed ? 2 : 3;
                    return hosts >= least ? Response.Ok("FleetGroupsResponse") : Response.Fail("hosts", $"{hosts} hosts instead of {least}");
                }).ConfigureAwait(false);
            })
            .WithInit(context => state.StartAsync(context, null))
            .WithClean(_ => state.DisposeAsync().AsTask())
            .WithWarmUpDuration(options.WarmUp ?? TimeSpan.FromSeconds(5))
            .WithLoadSimulations(Cli.Load(options, 500, TimeSpan.FromSeconds(30)))
            .WithThresholds(
                Threshold.Create($"p99 latency <= {Format.Num(target)} ms", s => s.Ok.Request.Count > 0 && s.Ok.Latency.Percent99 <= target, s => s.Ok.Request.Count > 0 ? $"{Format.Num(s.Ok.Latency.Percent99)} ms" : "no ok response"),
                Threshold.Create("no request over 2 s", s => s.Ok.Request.Count > 0 && s.Ok.Latency.MaxMs <= 2_000, s => $"max {Format.Num(s.Ok.Latency.MaxMs)} ms"),
                Threshold.Create("every request answered", s => s.Fail.Request.Count == 0 && s.Ok.Request.Count > 0, s => $"{s.Fail.Request.Count} failed of {s.AllRequestCount}"));
        return LoadRunner.RegisterScenarios(scenario)
            .WithTestName("ask-fleet")
            .WithNote("fleet", $"3 agent processes on 127.0.0.1, each on its own fixture tree of {procs} processes in {options.Groups} groups, scanned every {Format.Span(options.ScanInterval)}")
            .WithNote("requests", "GetFleetGroups asked of the first node (every group of every host plus the merged groups); client timeout 5 s")
            .WithNote("kill", options.KillOne ? $"the second agent is kill -9ed {Format.Span(killAt)} into the run (counting warm-up); its last figures stay in the answers, flagged unreachable" : "none (--kill-one to kill -9 the second agent mid-run)");
    }

    /// <summary>The agents, their fixture trees and the client that asks the first one.</summary>
    private sealed class Fleet(LoadTestOptions options, int size, int procs) : IAsyncDisposable
    {
        private readonly List<FixtureTree> _trees = [];
        private readonly List<AgentServer> _agents = [];
        private readonly Stopwatch _clock = new();
        private int _killed;

        public ProcActorsClient Client { get; private set; } = null!;

        public bool Killed => Volatile.Read(ref _killed) == 1;

        public async Task StartAsync(IScenarioInitContext context, string? agent)
        {
            var ct = context.CancellationToken;
            if (agent is null)
            {
                var seed = $"127.0.0.1:{ServedProcess.FreePort()}";
                for (var i = 0; i < size; i++)
                {
                    var tree = ScanScenario.CreateFixture(procs, options.Groups);
                    _trees.Add(tree);
                    var port = i == 0 ? int.Parse(seed[(seed.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture) : (int?)null;
                    _agents.Add(await AgentServer.StartAsync(tree.Root, $"load-{i + 1}", size > 1 ? seed : null, options.ScanInterval, ct, port).ConfigureAwait(false));
                }
                agent = _agents[0].Remote;
            }
            // An agent serves HTTP before its cluster system listens; on a loaded machine that can take more than 5 s.
            Client = await ProcActorsClient.ConnectAsync(agent, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            // Until every host's first summary is in the asked node's fleet view (and its own node view has rates).
            var wait = Stopwatch.StartNew();
            while (wait.Elapsed < TimeSpan.FromSeconds(60))
            {
                var nodes = await Client.GetNodesAsync(ct).ConfigureAwait(false);
                if (nodes.Nodes.Count(n => n.Status == NodeStatus.Up && n.Cycle >= 2) >= size) break;
                await Task.Delay(250, ct).ConfigureAwait(false);
            }
            context.Logger.WriteLine($"[{context.ScenarioName}] asking {agent}; fleet ready after {wait.Elapsed.TotalSeconds:0.0} s");
            _clock.Start();
        }

        public void KillMidRun(TimeSpan at)
        {
            if (!options.KillOne || _agents.Count < 2 || _clock.Elapsed < at || Interlocked.Exchange(ref _killed, 1) == 1) return;
            _ = _agents[1].KillHardAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (Client is not null) await Client.DisposeAsync().ConfigureAwait(false);
            foreach (var agent in _agents) await agent.DisposeAsync().ConfigureAwait(false);
            foreach (var tree in _trees) tree.Dispose();
        }
    }
}
