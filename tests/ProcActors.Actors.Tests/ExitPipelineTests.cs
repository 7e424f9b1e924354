using Akka.Actor;
using Akka.Hosting;
using ProcActors.Actors.Exits;
using ProcActors.Actors.View;
using ProcActors.Protocol;
using ProcActors.Testing;

namespace ProcActors.Actors.Tests;

/// <summary>Exits through the actor pipeline (children fallback over an in-memory table) to the Ask API.</summary>
public sealed class ExitPipelineTests : Akka.Hosting.TestKit.TestKit
{
    private readonly FakeProcSource _source = new();
    private readonly NodeViewStore _store = new(NodeView.Empty("test-node", 100));

    public ExitPipelineTests(ITestOutputHelper output) : base(output: output)
    {
    }

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
        var settings = new AgentSettings
        {
            NodeName = "test-node",
            Namer = new CommNamer("make"),
            ScanInterval = null,
            SourceFactory = () => _source,
            TicksPerSecond = 100,
            Exits = ExitSource.Open(ExitAccountingMode.Children, "/proc"),
        };
        builder.ConfigureProcActors(settings, _store, new NullTelemetry());
    }

    private async Task ScanAsync()
    {
        var next = _store.Current.Cycle + 1;
        (await ActorRegistry.GetAsync<ScannerActor>(TestContext.Current.CancellationToken)).Tell(ScanNow.Instance);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await _store.WaitForCycleAsync(next, timeout.Token);
        _source.UptimeTicks += 500;
    }

    [Fact]
    public async Task Reaped_children_reach_the_parents_group_and_the_Ask_answers()
    {
        var make = _source.Add(100, "make", startTicks: 10);
        make.Metrics.Counts.CpuUserTicks = 50;
        make.Metrics.ReapedChildrenUserTicks = 1000;
        await ScanAsync();

        make.Metrics.Counts.CpuUserTicks = 60;
        make.Metrics.ReapedChildrenUserTicks = 1250;
        make.Metrics.ReapedChildrenSystemTicks = 50;
        await ScanAsync();

        var aggregator = await ActorRegistry.GetAsync<AggregatorActor>(TestContext.Current.CancellationToken);
        var groups = await aggregator.Ask<GroupsResponse>(GetGroups.Instance, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        var group = Assert.Single(groups.Groups);
        Assert.Equal(("make", 2.6, 0.5), (group.Name, group.CpuUserSeconds, group.CpuSystemSeconds));
        Assert.Equal(3.0, group.ExitedUnseenCpuSeconds, 6);
        Assert.Equal(0, group.ExitedUnseen);
    }

    private sealed class NullTelemetry : IAgentTelemetry
    {
        public void ScanCompleted(TimeSpan duration, TimeSpan cpu)
        {
        }

        public void ViewUpdated(TimeSpan latency)
        {
        }
    }
}
