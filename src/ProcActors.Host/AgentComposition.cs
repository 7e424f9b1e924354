using Akka.Configuration;
using Akka.Hosting;
using Akka.Persistence.Hosting;
using Akka.Persistence.Sql.Hosting;
using ProcActors.Actors.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ProcActors.Actors;
using ProcActors.Actors.Exits;
using ProcActors.Actors.View;
using ProcActors.Procfs;
using ProcActors.Tracking;
using ProcActors.Tracking.Grouping;
using Prometheus;

namespace ProcActors.Host;

/// <summary>Turns flags into the agent's settings and wires the actor system, metrics and view into a host.</summary>
public static class AgentComposition
{
    /// <summary>The group namer from -config.path or -procnames/-namemapping; errors name the item and field.</summary>
    public static IProcNamer CreateNamer(AgentOptions options)
    {
        if (options.ConfigPath is not null && options.ProcNames is not null)
            throw new UsageException("-config.path cannot be used with -procnames");
        if (options.ConfigPath is not null) return NamingConfig.Load(options.ConfigPath);
        if (options.ProcNames is not null) return ProcNamesNamer.Create(options.ProcNames, options.NameMapping);
        if (options.NameMapping is not null) throw new UsageException("-namemapping requires -procnames");
        return NamingConfig.Parse(DefaultConfig, "<embedded default config>");
    }

    /// <summary>
    /// Without -config.path or -procnames (where process-exporter refuses to start) every user process is watched,
    /// grouped by its command name: the example config of process-exporter's README.
    /// </summary>
    public const string DefaultConfig = """
        process_names:
          - name: "{{.Comm}}"
            cmdline:
              - '.+'
        """;

    public static AgentSettings CreateSettings(AgentOptions options, IProcNamer namer, bool scanPeriodically) => new()
    {
        NodeName = options.NodeName ?? Environment.MachineName,
        ProcfsRoot = options.Procfs,
        Namer = namer,
        ScanInterval = scanPeriodically ? options.ScanInterval : null,
        Scanner = new ScannerOptions
        {
            Children = options.Children,
            Recheck = options.Recheck,
            RecheckTimeLimit = options.RecheckWithTimeLimit,
            RedactCmdline = options.RedactCmdline,
        },
        // As in process-exporter, -threads=false only hides the thread_* series: states, wchan and context switches
        // of multi-threaded processes still come from their threads.
        Threads = true,
        GatherSmaps = options.GatherSmaps,
        Reads = (options.AdaptiveReads
            ? new ProcfsOptions { SmapsEveryScans = options.SmapsEvery, LimitsEveryScans = options.LimitsEvery, IdleEveryScans = options.IdleEvery, ReuseUnchangedWchan = true }
            : new ProcfsOptions()) with
        {
            ReadTimeouts = options.ReadTimeout > TimeSpan.Zero ? new ReadTimeouts(options.ReadTimeout, options.MaxStuckReads) : null,
        },
        RemoveEmptyGroups = options.RemoveEmptyGroups,
        Exits = ExitSource.Open(options.ExitAccounting, options.Procfs),
        Snapshots = options.Persistence.Kind == StoreKind.None
            ? null
            : SnapshotSettings.For(options.NodeName ?? Environment.MachineName, options.SnapshotEvery) with
            {
                LoadTimeout = options.SnapshotLoadTimeout,
                QuarantineDirectory = options.Persistence.QuarantineFolder,
                PrepareStore = options.Persistence.Kind == StoreKind.Sqlite ? options.Persistence.Prepare : null,
            },
    };

    /// <summary>Only the snapshot store is used: the node's state is a snapshot, there are no events to journal.</summary>
    private static void ConfigurePersistence(AkkaConfigurationBuilder builder, PersistenceOption persistence)
    {
        if (persistence.Kind == StoreKind.None) return;
        var provider = persistence.Kind == StoreKind.Sqlite ? LinqToDB.ProviderName.SQLiteMS : LinqToDB.ProviderName.PostgreSQL15;
        builder.WithSqlPersistence(persistence.ConnectionString, provider, PersistenceMode.SnapshotStore, autoInitialize: true);
        builder.AddHocon(LoadHocon("persistence.hocon"), HoconAddMode.Prepend);
    }

    private static Config LoadHocon(string file) =>
        ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", file)));

    public static void AddAgent(this IServiceCollection services, AgentOptions options, AgentSettings settings)
    {
        var registry = Metrics.NewCustomRegistry();
        var live = Metrics.NewCustomRegistry();
        RuntimeMetrics.Register(live);
        var store = new NodeViewStore(NodeView.Empty(settings.NodeName, settings.TicksPerSecond));
        var metrics = new ExporterMetrics(registry, store, settings.TicksPerSecond, options.GatherSmaps, options.Threads, ownCost: live);
        ExitMetrics.Register(registry, settings.Exits);
        ReadTimeoutMetrics.Register(registry, settings.Reads.ReadTimeouts);
        services.AddSingleton(registry);
        // The process and runtime series a second old at most for a scraper polling faster (from memory), and up to
        // 5 s old while a fresh copy renders off the scrape path, so that no frequent scrape waits for it.
        services.AddSingleton(new MetricsPage(registry, metrics, live, liveMaxAge: TimeSpan.FromSeconds(1), liveStaleAge: TimeSpan.FromSeconds(5)));
        services.AddSingleton(store);
        services.AddSingleton(settings);
        services.AddHeapUpkeep(store, live);
        services.AddAkka("procactors", (builder, _) =>
        {
            builder.ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = options.Debug ? Akka.Event.LogLevel.DebugLevel : Akka.Event.LogLevel.InfoLevel;
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            });
            builder.AddHocon(LoadHocon("at-rest.hocon"), HoconAddMode.Prepend);
            // Before its loggers start and after they stop, Akka logs to stdout: only warnings, so stdout stays empty under
            // systemd (the logs go to stderr, in journald's format) even when a stop comes while the system starts.
            // The host's stop runs the coordinated shutdown (snapshot saved, then the system ends), as for the cluster's
            // system: Akka's own SIGTERM hook raced it and logged at INFO to stdout once the loggers were gone (CI).
            builder.AddHocon("""
                akka.stdout-loglevel = WARNING
                akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
                """, HoconAddMode.Prepend);
            ConfigurePersistence(builder, options.Persistence);
            builder.ConfigureProcActors(settings, store, metrics);
        });
    }
}
