using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ProcActors.Actors;
using ProcActors.Actors.Persistence;
using ProcActors.Actors.View;
using ProcActors.Host;
using ProcActors.LoadTests.Runner;

namespace ProcActors.LoadTests.Scenarios;

/// <summary>
/// The agent's real actor pipeline, wired exactly as the host wires it (Akka.Hosting and
/// <see cref="AgentHosting.ConfigureProcActors"/>, with the host's <see cref="HeapUpkeep"/>), over a
/// <see cref="SyntheticProcSource"/>. Nothing of the pipeline is re-implemented here: the load test only sends
/// <see cref="ScanNow"/>, watches the <see cref="NodeViewStore"/>, and asks the aggregator.
/// </summary>
public sealed class PipelineHost : IAsyncDisposable
{
    public const string SystemName = "procactors";
    public const string NodeName = "load-test";

    private readonly IHost _host;
    private readonly ConcurrentDictionary<long, long> _published;

    private PipelineHost(IHost host, SyntheticProcSource source, NodeViewStore store, RecordingTelemetry telemetry, ConcurrentDictionary<long, long> published)
    {
        _host = host;
        Source = source;
        Store = store;
        Telemetry = telemetry;
        _published = published;
    }

    public SyntheticProcSource Source { get; }

    public NodeViewStore Store { get; }

    public RecordingTelemetry Telemetry { get; }

    public ActorSystem System { get; private set; } = null!;

    public IActorRef Scanner { get; private set; } = ActorRefs.Nobody;

    public IActorRef Aggregator { get; private set; } = ActorRefs.Nobody;

    /// <summary>The address other actor systems reach this one at (with remoting on).</summary>
    public Address Address => ((ExtendedActorSystem)System).Provider.DefaultAddress;

    /// <param name="scanInterval">Null: scans only on <see cref="ScanNow"/> (the load test drives them).</param>
    /// <param name="extraHocon">More Akka config, e.g. remoting for ask-remote.</param>
    /// <param name="snapshots">The aggregator's snapshots (persist); null keeps the state in memory only.</param>
    /// <param name="configure">More Akka.Hosting set-up before the pipeline's, e.g. the snapshot store (persist).</param>
    public static async Task<PipelineHost> StartAsync(
        SyntheticOptions options, TimeSpan? scanInterval, string? extraHocon = null, CancellationToken cancellationToken = default,
        SnapshotSettings? snapshots = null, Action<AkkaConfigurationBuilder>? configure = null)
    {
        var source = new SyntheticProcSource(options);
        var store = new NodeViewStore(NodeView.Empty(NodeName, 100));
        var telemetry = new RecordingTelemetry();
        // The publication instant, by the store's first handler: before the heap upkeep's, whose collection between
        // cycles may start on a pool thread as soon as its handler returns.
        var published = new ConcurrentDictionary<long, long>();
        store.Published += view =>
        {
            published[view.Cycle] = Stopwatch.GetTimestamp();
            published.TryRemove(view.Cycle - 10_000, out _);
        };
        var settings = new AgentSettings
        {
            NodeName = NodeName,
            Namer = SyntheticProcSource.Namer,
            ScanInterval = scanInterval,
            SourceFactory = () => source,
            TicksPerSecond = 100,
            Snapshots = snapshots,
        };
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        // As the host: the heap trim after start-up and the gen-0 collections between cycles.
        builder.Services.AddHeapUpkeep(store, Prometheus.Metrics.NewCustomRegistry());
        builder.Services.AddAkka(SystemName, (akka, _) =>
        {
            akka.ConfigureLoggers(loggers => loggers.LogLevel = Akka.Event.LogLevel.WarningLevel);
            if (extraHocon is not null) akka.AddHocon(ConfigurationFactory.ParseString(extraHocon), HoconAddMode.Prepend);
            configure?.Invoke(akka);
            akka.ConfigureProcActors(settings, store, telemetry);
        });
        var host = builder.Build();
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        var pipeline = new PipelineHost(host, source, store, telemetry, published);
        var registry = host.Services.GetRequiredService<ActorRegistry>();
        pipeline.System = host.Services.GetRequiredService<ActorSystem>();
        pipeline.Scanner = await registry.GetAsync<ScannerActor>(cancellationToken).ConfigureAwait(false);
        pipeline.Aggregator = await registry.GetAsync<AggregatorActor>(cancellationToken).ConfigureAwait(false);
        return pipeline;
    }

    /// <summary>
    /// Asks for a scan and waits for the first node view of a scan that started after the request (a request that
    /// arrives during a scan is served by the scan right after it, as the scanner promises). Returns that view and
    /// the Stopwatch timestamp of its publication.
    /// </summary>
    public async Task<(NodeView View, long PublishedAt, long ScanStartedAt)> ScanAsync(CancellationToken cancellationToken)
    {
        var wanted = Store.Current.Cycle + 1;
        var sent = Stopwatch.GetTimestamp();
        Scanner.Tell(ScanNow.Instance);
        while (true)
        {
            var view = await Store.WaitForCycleAsync(wanted, cancellationToken).ConfigureAwait(false);
            if (Source.TryGetScanStart(view.Cycle, out var started) && started >= sent)
            {
                var published = _published.TryGetValue(view.Cycle, out var at) ? at : Stopwatch.GetTimestamp();
                return (view, published, started);
            }
            wanted = view.Cycle + 1;
        }
    }

    /// <summary>Scans until the view shows the whole table tracked (the first scan reads every static fact).</summary>
    public async Task WarmAsync(int scans, CancellationToken cancellationToken)
    {
        for (var i = 0; i < scans; i++) await ScanAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _host.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            _host.Dispose();
        }
    }
}

/// <summary>The pipeline's own timings (what the host exports as histograms), into the scenario's metrics while it runs.</summary>
public sealed class RecordingTelemetry : IAgentTelemetry
{
    public ScenarioMetrics? Metrics { get; set; }

    public void ScanCompleted(TimeSpan duration, TimeSpan cpu)
    {
        Metrics?.Record("scan duration (scanner thread)", duration.TotalMilliseconds, "ms");
        Metrics?.Record("scan CPU (scanner thread)", cpu.TotalMilliseconds, "ms");
    }

    public void ViewUpdated(TimeSpan latency) => Metrics?.Record("pipeline update latency (scan start → view)", latency.TotalMilliseconds, "ms");
}
