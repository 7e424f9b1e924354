using Akka.Actor;
using Akka.Hosting;
using ProcActors.Actors.View;
using ProcActors.Protocol;
using ProcActors.Testing;

namespace ProcActors.Actors.Tests;

/// <summary>-remove-empty-groups: a group whose last process exits disappears, and comes back fresh with a new one.</summary>
public sealed class RemoveEmptyGroupsTests(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(output: output)
{
    private readonly FakeProcSource _source = new();
    private readonly NodeViewStore _store = new(NodeView.Empty("n", 100));

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.ConfigureProcActors(
            new AgentSettings { Namer = new CommNamer("web", "batch"), ScanInterval = null, SourceFactory = () => _source, RemoveEmptyGroups = true },
            _store,
            new NoTelemetry());

    private async Task<NodeView> ScanAsync()
    {
        var next = _store.Current.Cycle + 1;
        (await ActorRegistry.GetAsync<ScannerActor>(TestContext.Current.CancellationToken)).Tell(ScanNow.Instance);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        return await _store.WaitForCycleAsync(next, timeout.Token);
    }

    [Fact]
    public async Task A_group_disappears_with_its_last_process_and_reappears_fresh()
    {
        _source.Add(10, "web");
        _source.Add(20, "batch");
        await ScanAsync();
        _source[20].Advance(9);
        Assert.Equal(9UL, (await ScanAsync()).Groups["batch"].Stats.Counts.CpuUserTicks);

        _source.Remove(20);
        var view = await ScanAsync();
        Assert.False(view.Groups.ContainsKey("batch"));
        Assert.Null((await (await ActorRegistry.GetAsync<AggregatorActor>(TestContext.Current.CancellationToken))
            .Ask<GroupResponse>(new GetGroup("batch"), TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken)).Group);

        // Several more cycles: the group actor has been stopped and nothing reports for it.
        await ScanAsync();
        view = await ScanAsync();
        Assert.Equal(["web"], view.Groups.Keys);

        _source.Add(21, "batch", startTicks: _source.UptimeTicks + 1).Advance(4);
        _source.UptimeTicks += 100;
        view = await ScanAsync();
        Assert.Equal(4UL, view.Groups["batch"].Stats.Counts.CpuUserTicks);
        Assert.Equal(1, view.Groups["batch"].Stats.Procs);
    }

    private sealed class NoTelemetry : IAgentTelemetry
    {
        public void ScanCompleted(TimeSpan duration, TimeSpan cpu)
        {
        }

        public void ViewUpdated(TimeSpan latency)
        {
        }
    }
}
